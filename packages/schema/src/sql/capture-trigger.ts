import { quoteIdent, quoteLiteral } from "../identifiers.ts";
import { MERGER_ROLE } from "./roles.ts";
import type { StateLayout } from "../layout.ts";
import { componentColumns } from "../layout.ts";
import { homeExpression, recordColumn } from "./home.ts";
import { rowLimitCheck } from "./row-limit.ts";
import { winningTombstoneOrder } from "./winning-tombstone.ts";
import { canonicalTextSetFor } from "../canonical-text.ts";

/**
 * The AFTER ROW trigger that turns a plain SQL write into this region's CRDT state.
 * AFTER (not BEFORE) because an upsert fires BEFORE INSERT and then BEFORE UPDATE: only AFTER
 * triggers fire for the action actually taken, so `INSERT … ON CONFLICT DO UPDATE` counts once.
 *
 *   INSERT: own share starts over (a new lifetime, born at the insert's stamp): components are
 *           the inserted values, every register is stamped, ins__t is stamped; if the key already
 *           had state, the row is rewritten to what state resolves to.
 *   UPDATE: own components grow by (new - old); changed registers are stamped. A share a later
 *           lifetime killed starts over first, joining the key's latest lifetime.
 *   DELETE: del__t is stamped and del__base records every component observed.
 * A stamp is max(wall-clock stamp, greatest stamp already in the row's state + 1): a local write
 * always lands above the value it overwrites, even when this region's wall clock is behind.
 */
/** georep.wall_stamp(), inlined: a SQL function call per captured row is measurable. */
const WALL_STAMP = "((floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) << 16)";

export function captureFunctionName(layout: StateLayout): string {
  return `georep.${quoteIdent(`capture__${layout.spec.schema}__${layout.spec.name}`)}`;
}

/** The replica local writes are recorded under, and the floor of the stamps it issues. */
export interface LocalReplica {
  readonly replica: string;
  /** Every stamp of this incarnation is above it (0: none beyond the wall clock and the key's state). */
  readonly stampFloor: bigint;
}

export function captureTriggerSql(layout: StateLayout, local: LocalReplica): string {
  const q = quoteIdent;
  const keyCols = layout.key.map((k) => q(k.name));
  const keyOf = (rec: string): string => layout.key.map((k) => `${rec}.${q(k.name)}`).join(", ");
  const keyMatch = (rec: string, alias = "s"): string =>
    layout.key.map((k) => `${alias}.${q(k.name)} = ${rec}.${q(k.name)}`).join(" AND ");
  const stampCols = [
    layout.insertStamp,
    layout.deleteStamp,
    ...layout.registers.map((r) => r.stamp),
  ];
  const born = q(layout.born);
  // The key's state in one read: how many shares, the greatest stamp or birth (a local write
  // stamps above it), the greatest delete and birth, and this replica's own birth.
  const topStamp = (rec: string): string =>
    `SELECT count(*), max(greatest(${[...stampCols.map((c) => `s.${q(c)}`), `s.${born}`].join(", ")})), max(s.${q(layout.deleteStamp)}), coalesce(max(s.${born}), 0), max(s.${born}) FILTER (WHERE s.origin = ${lit})
      INTO n_state, top, last_del, last_born, own_born FROM ${layout.stateTable} s WHERE ${keyMatch(rec)};`;
  // Our share is killed (the core's isKilled): a delete at or above its birth, and a later birth.
  const killed = "(own_born IS NOT NULL AND own_born <= last_del AND own_born < last_born)";
  // Starting our share over: components from zero, no register written, no insert, born anew;
  // the tombstone stays (it is at least every earlier lifetime's, which peers may still hold).
  // An insert also takes the key's winning tombstone into our share: whoever merges the new
  // lifetime then knows the earlier shares are killed, before that delete itself arrives.
  const startOver = (rec: string, insert: boolean): string =>
    `UPDATE ${layout.stateTable} s SET ${[
      ...componentColumns(layout).map((c) => `${q(c)} = 0`),
      ...layout.registers.flatMap((r) => [`${q(r.value)} = NULL`, `${q(r.stamp)} = NULL`]),
      "ins__t = NULL",
      `${born} = ${insert ? "stamp" : "last_born"}`,
      ...(insert
        ? [
            "del__t = greatest(s.del__t, last_del)",
            "del__base = CASE WHEN last_del > coalesce(s.del__t, -1) THEN last_base ELSE s.del__base END",
          ]
        : []),
    ].join(", ")} WHERE ${keyMatch(rec)} AND s.origin = ${lit};`;
  const winningBase = (rec: string): string =>
    `SELECT s.del__base INTO last_base FROM ${layout.stateTable} s WHERE ${keyMatch(rec)} ORDER BY ${winningTombstoneOrder(layout, "s.")} LIMIT 1;`;
  const home = (rec: string): string => homeExpression(layout.spec, recordColumn(rec));
  const zoneOf = (rec: string): string =>
    `(SELECT r.zone FROM georep.regions r WHERE r.id = ${home(rec)})`;
  const lit = quoteLiteral(local.replica);
  // A new incarnation stamps above everything it can know its region issued before.
  const floor = local.stampFloor > 0n ? `, ${local.stampFloor.toString()}` : "";
  const decls = [
    "stamp bigint;",
    "top bigint;",
    "n_state bigint;",
    "base jsonb;",
    "z text;",
    "last_del bigint;",
    "last_born bigint;",
    "own_born bigint;",
    "last_base jsonb;",
    ...layout.counters.map((c) => `d_${c.column} bigint := 0;`),
    ...layout.registers.map((r) => `ch_${r.column} boolean := false;`),
  ];
  const grow = (c: (typeof layout.counters)[number]): string =>
    c.kind === "gcounter"
      ? `IF d_${c.column} < 0 THEN RAISE EXCEPTION 'georep: column "${c.column}" of ${layout.spec.schema}.${layout.spec.name} is a grow-only counter (gcounter) and cannot decrease (by %)', -d_${c.column} USING ERRCODE = 'check_violation', HINT = 'Only add to it, or declare the column a pncounter in the table spec.'; END IF;`
      : "";
  const pCol = (c: (typeof layout.counters)[number]): string =>
    c.n === undefined ? `d_${c.column}` : `greatest(d_${c.column}, 0)`;
  const upsertCols = [
    ...keyCols,
    "origin",
    "zone",
    ...componentColumns(layout).map(q),
    ...layout.registers.flatMap((r) => [q(r.value), q(r.stamp)]),
    "ins__t",
    born,
    "del__t",
    "del__base",
  ];
  const upsertVals = (rec: string, insert: boolean): string[] => [
    keyOf(rec),
    lit,
    zoneOf(rec),
    ...layout.counters.flatMap((c) =>
      c.n === undefined ? [pCol(c)] : [pCol(c), `greatest(-d_${c.column}, 0)`],
    ),
    ...layout.registers.flatMap((r) =>
      insert
        ? [`${rec}.${q(r.column)}::text`, "stamp"]
        : [
            `CASE WHEN ch_${r.column} THEN ${rec}.${q(r.column)}::text END`,
            `CASE WHEN ch_${r.column} THEN stamp END`,
          ],
    ),
    insert ? "stamp" : "NULL",
    // An insert begins a lifetime, with the key's winning tombstone; any other write joins
    // the key's latest lifetime.
    insert ? "stamp" : "last_born",
    insert ? "last_del" : "NULL",
    insert ? "last_base" : "NULL",
  ];
  const counterSet = layout.counters.flatMap((c) =>
    c.n === undefined
      ? [`${q(c.p)} = s.${q(c.p)} + ${pCol(c)}`]
      : [
          `${q(c.p)} = s.${q(c.p)} + ${pCol(c)}`,
          `${q(c.n)} = s.${q(c.n)} + greatest(-d_${c.column}, 0)`,
        ],
  );
  // The home region (and so the zone) only moves when the register it is read from changes.
  const homeColumn = layout.spec.home.column;
  const homeChanged = layout.registers.some((r) => r.column === homeColumn)
    ? `ch_${homeColumn}`
    : "false";
  const updateSet = (rec: string, insert: boolean): string =>
    [
      // No subquery in the SET list: it would be an InitPlan whose cost makes the plan cache
      // choose a custom plan (a full re-plan on every captured row) over the generic one.
      insert ? `zone = ${zoneOf(rec)}` : `zone = CASE WHEN ${homeChanged} THEN z ELSE s.zone END`,
      ...counterSet,
      ...layout.registers.flatMap((r) =>
        insert
          ? [`${q(r.value)} = ${rec}.${q(r.column)}::text`, `${q(r.stamp)} = stamp`]
          : [
              `${q(r.value)} = CASE WHEN ch_${r.column} THEN ${rec}.${q(r.column)}::text ELSE s.${q(r.value)} END`,
              `${q(r.stamp)} = CASE WHEN ch_${r.column} THEN stamp ELSE s.${q(r.stamp)} END`,
            ],
      ),
      ...(insert ? ["ins__t = stamp"] : []),
    ].join(", ");
  // Only this trigger writes the local origin's row, under the user row's lock, so UPDATE and
  // then INSERT is race-free, and cheaper than INSERT … ON CONFLICT for the common case (the row
  // exists): no speculative insertion, and the update can be HOT.
  const upsert = (rec: string, insert: boolean): string =>
    `UPDATE ${layout.stateTable} s SET ${updateSet(rec, insert)}
      WHERE ${keyMatch(rec)} AND s.origin = ${lit};
    IF NOT FOUND THEN
      INSERT INTO ${layout.stateTable} (${upsertCols.join(", ")}) VALUES (${upsertVals(rec, insert).join(", ")});
    END IF;`;
  const resolvedColumns = layout.spec.columns.map((c) => c.name);
  const baseObject = `jsonb_build_object(${componentColumns(layout)
    .map((c) => `${quoteLiteral(c)}, s.${q(c)}::text`)
    .join(", ")})`;
  const tableName = `${layout.spec.schema}.${layout.spec.name}`;
  // One comparison on the hot path; which column went down is only worked out on the way to the error.
  const gcounters = layout.counters.filter((c) => c.kind === "gcounter");
  const growCheck =
    gcounters.length === 0
      ? ""
      : `IF least(${gcounters.map((c) => `d_${c.column}`).join(", ")}) < 0 THEN
    ${gcounters.map(grow).join("\n    ")}
  END IF;`;
  const registerChanged =
    layout.registers.length === 0
      ? "false"
      : layout.registers.map((r) => `ch_${r.column}`).join(" OR ");
  // Counters only (the common case): a narrow UPDATE with no CASE per register, no stamp.
  // Only when our share is of the key's latest lifetime (then it cannot be killed); otherwise
  // (no share yet, or an earlier lifetime's) the key's state is read first.
  const counterPath =
    counterSet.length === 0
      ? ""
      : `UPDATE ${layout.stateTable} s SET ${counterSet.join(", ")}
    WHERE ${keyMatch("NEW")} AND s.origin = ${lit}
      AND NOT EXISTS (SELECT 1 FROM ${layout.stateTable} x WHERE ${keyMatch("NEW", "x")} AND x.${born} > s.${born});
  IF NOT FOUND THEN
    ${topStamp("NEW")}
    IF ${killed} THEN
      ${startOver("NEW", false)}
    END IF;
    UPDATE ${layout.stateTable} s SET ${counterSet.join(", ")}
      WHERE ${keyMatch("NEW")} AND s.origin = ${lit};
    IF NOT FOUND THEN
      INSERT INTO ${layout.stateTable} (${upsertCols.join(", ")}) VALUES (${upsertVals("NEW", false).join(", ")});
    END IF;
  END IF;`;
  const updatePath = `  IF (${keyOf("NEW")}) IS DISTINCT FROM (${keyOf("OLD")}) THEN
    RAISE EXCEPTION 'georep: the key of a replicated row of ${tableName} cannot change' USING ERRCODE = 'feature_not_supported', HINT = 'Delete the row and insert it under the new key.';
  END IF;
  ${layout.counters.map((c) => `d_${c.column} := coalesce(NEW.${q(c.column)}, 0) - coalesce(OLD.${q(c.column)}, 0);`).join("\n  ")}
  ${growCheck}
  ${layout.registers.map((r) => `ch_${r.column} := NEW.${q(r.column)} IS DISTINCT FROM OLD.${q(r.column)};`).join("\n  ")}
  -- The zone follows the home region, which only a register (or the immutable key) decides.
  IF NOT (${[...layout.counters.map((c) => `d_${c.column} <> 0`), ...layout.registers.map((r) => `ch_${r.column}`)].join(" OR ")}) THEN
    RETURN NULL;
  END IF;
  IF ${registerChanged} THEN
    ${rowLimitCheck(layout, "NEW")}
    ${topStamp("NEW")}
    stamp := greatest(${WALL_STAMP}, coalesce(top, 0) + 1${floor});
    ${homeChanged === "false" ? "" : `IF ${homeChanged} THEN z := ${zoneOf("NEW")}; END IF;`}
    IF ${killed} THEN
      ${startOver("NEW", false)}
    END IF;
    ${upsert("NEW", false)}
    RETURN NULL;
  END IF;
  ${counterPath}
  RETURN NULL;
`;

  // Pinned text settings: register values are stored as `value::text` and cast back (the
  // fix-up below reads the view) in every region, so their text must not follow the session.
  // Only for tables with a type whose text can (a date, a float, …; and the home rule's `::text`).
  const pinned = canonicalTextSetFor([
    ...layout.registers.map((r) => r.type),
    ...[...layout.spec.key, ...layout.spec.columns]
      .filter((c) => c.name === homeColumn)
      .map((c) => c.type),
  ]);
  return `CREATE OR REPLACE FUNCTION ${captureFunctionName(layout)}() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $georep$
DECLARE
  ${decls.join("\n  ")}
BEGIN
  -- One test on the hot path; the rare marked sessions are sorted out inside.
  IF current_setting('georep.applying', true) = 'on' OR current_setting('georep.fixup', true) = 'on' THEN
    -- Our own fix-up of a row this trigger just captured (nested, so a session cannot fake it).
    IF pg_trigger_depth() > 1 AND current_setting('georep.fixup', true) = 'on' THEN RETURN NULL; END IF;
    IF current_setting('georep.applying', true) = 'on' THEN
      IF pg_has_role(session_user, 'georep_merger', 'USAGE') THEN RETURN NULL; END IF;
      RAISE EXCEPTION 'georep: only the merger role may set georep.applying' USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;
  -- Once per session: is this still the database the replica was started on? (georep.check_incarnation)
  IF current_setting('georep.replica_ok', true) IS DISTINCT FROM ${lit} THEN
    PERFORM georep.check_incarnation(${lit});
  END IF;
  IF TG_OP = 'UPDATE' THEN
    ${updatePath}
  END IF;
  IF TG_OP = 'DELETE' THEN
    ${topStamp("OLD")}
    stamp := greatest(${WALL_STAMP}, coalesce(top, 0) + 1${floor});
    SELECT jsonb_object_agg(s.origin, ${baseObject}) INTO base FROM ${layout.stateTable} s WHERE ${keyMatch("OLD")};
    INSERT INTO ${layout.stateTable} AS s (${[...keyCols, "origin", "zone", "del__t", "del__base"].join(", ")})
      VALUES (${keyOf("OLD")}, ${lit}, ${zoneOf("OLD")}, stamp, base)
      ON CONFLICT (${[...keyCols, "origin"].join(", ")}) DO UPDATE SET del__t = excluded.del__t, del__base = excluded.del__base;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    ${rowLimitCheck(layout, "NEW")}
    ${topStamp("NEW")}
    stamp := greatest(${WALL_STAMP}, coalesce(top, 0) + 1${floor});
    ${layout.counters.map((c) => `d_${c.column} := coalesce(NEW.${q(c.column)}, 0);`).join("\n    ")}
    ${growCheck}
    IF n_state = 0 THEN
      -- A key never seen here: no state row of ours can exist, insert it straight away.
      INSERT INTO ${layout.stateTable} (${upsertCols.join(", ")}) VALUES (${upsertVals("NEW", true).join(", ")});
      RETURN NULL;
    END IF;
    -- No user row: the key is dead here. An insert begins a new lifetime of our share, which
    -- replaces the earlier one everywhere and kills every share born before the delete.
    IF last_del IS NOT NULL THEN
      ${winningBase("NEW")}
    END IF;
    ${startOver("NEW", true)}
    ${upsert("NEW", true)}
    IF n_state > 0 THEN
      -- The key already had state (a tombstone, or increments from regions whose insert has not
      -- arrived yet): the row services see is what the state resolves to, not just NEW.
      PERFORM set_config('georep.fixup', 'on', true);
      UPDATE ${layout.userTable} t SET (${resolvedColumns.map(q).join(", ")}) = (SELECT ${resolvedColumns.map((c) => `v.${q(c)}`).join(", ")} FROM ${layout.visibleView} v WHERE ${layout.key.map((k) => `v.${q(k.name)} = NEW.${q(k.name)}`).join(" AND ")})
        WHERE ${layout.key.map((k) => `t.${q(k.name)} = NEW.${q(k.name)}`).join(" AND ")};
      PERFORM set_config('georep.fixup', 'off', true);
    END IF;
    RETURN NULL;
  END IF;
  RETURN NULL;
END
$georep$;`;
}

/** Triggers are (re)created only when a spec changed, so a re-run of the installer is a no-op. */
export function captureTriggersSql(layout: StateLayout): string {
  const t = `capture__${layout.spec.name}`;
  const guard = `guard_truncate__${layout.spec.name}`;
  return `DROP TRIGGER IF EXISTS ${quoteIdent(t)} ON ${layout.userTable};
CREATE TRIGGER ${quoteIdent(t)} AFTER INSERT OR UPDATE OR DELETE ON ${layout.userTable}
  FOR EACH ROW
  -- The merger's rows skip the function call altogether; anyone else setting the marker still
  -- enters it, and is refused there.
  WHEN (current_setting('georep.applying', true) IS DISTINCT FROM 'on' OR NOT pg_has_role(session_user, '${MERGER_ROLE}', 'USAGE'))
  EXECUTE FUNCTION ${captureFunctionName(layout)}();
DROP TRIGGER IF EXISTS ${quoteIdent(guard)} ON ${layout.userTable};
CREATE TRIGGER ${quoteIdent(guard)} BEFORE TRUNCATE ON ${layout.userTable}
  FOR EACH STATEMENT EXECUTE FUNCTION georep.refuse_truncate();`;
}

export const REFUSE_TRUNCATE_SQL = `CREATE OR REPLACE FUNCTION georep.refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'georep: TRUNCATE of replicated table %.% is refused: it would not replicate and counts would diverge', TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'feature_not_supported', HINT = 'DELETE the rows instead (deletes replicate as tombstones).';
END $$;`;
