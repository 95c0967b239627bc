import type { StateLayout } from "@georep/schema";
import { ACROSS_LIFETIMES, STATE_ROW_MERGE } from "@georep/crdt";
import type { StateMergeRule, StateRowField } from "@georep/crdt";
import { componentColumns, quoteIdent } from "@georep/schema";
import { stageColumns, stagedRows } from "./common.ts";

const q = quoteIdent;

/** The core's `takesIncoming` in SQL: the incoming number is greater, NULL (never written) below all. */
const takes = (incoming: string, current: string): string =>
  `(${incoming} IS NOT NULL AND (${current} IS NULL OR ${incoming} > ${current}))`;

/**
 * Merges the staged slices into the state rows (key, replica) by the core's state-row rules
 * (`STATE_ROW_MERGE` in @georep/crdt): the lifetime first, then one SQL form per rule, applied to the fields the table
 * gives that rule, so this upsert and the TypeScript pre-merge cannot drift apart. Rows whose
 * state would not change are left alone (no dead tuple, no WAL): re-deliveries are cheap.
 */
export function upsertStateSql(layout: StateLayout): string {
  const cols = stageColumns(layout).map((c) => q(c.name));
  const conflictKey = [...layout.key.map((k) => q(k.name)), layout.origin].join(", ");
  const stamps = [layout.insertStamp, layout.deleteStamp, ...layout.registers.map((r) => r.stamp)];
  // -1 when the row holds no stamp, as the core's topStamp.
  const top = (rel: string): string =>
    `coalesce(greatest(${stamps.map((c) => `${rel}.${q(c)}`).join(", ")}), -1)`;
  // Zones order by code point, as the core compares strings, whatever the database's collation.
  const zone = (rel: string): string => `${rel}.${layout.zone} COLLATE "C"`;
  /** Each rule's SQL: the SET items for one field and the condition under which it changes. */
  type WithinLifetime = Exclude<StateMergeRule, "replaces">;
  const rules: {
    [R in WithinLifetime]: (field: Field) => { set: Array<[string, string]>; when: string };
  } = {
    max: ({ decides }) => ({
      set: [[q(decides), `greatest(s.${q(decides)}, excluded.${q(decides)})`]],
      when: takes(`excluded.${q(decides)}`, `s.${q(decides)}`),
    }),
    newer: ({ decides, carries }) => {
      const when = takes(`excluded.${q(decides)}`, `s.${q(decides)}`);
      return {
        set: [...carries, decides].map((c): [string, string] => [
          q(c),
          `CASE WHEN ${when} THEN excluded.${q(c)} ELSE s.${q(c)} END`,
        ]),
        when,
      };
    },
    "follows-newest": ({ carries }) => {
      const when = `(${top("excluded")} > ${top("s")} OR (${top("excluded")} = ${top("s")} AND ${takes(zone("excluded"), zone("s"))}))`;
      return {
        set: carries.map((c): [string, string] => [
          q(c),
          `CASE WHEN ${when} THEN excluded.${q(c)} ELSE s.${q(c)} END`,
        ]),
        when,
      };
    },
  };
  const fields: Array<[StateRowField, WithinLifetime, Field]> = [
    ...componentColumns(layout).map((c): [StateRowField, WithinLifetime, Field] => [
      "component",
      STATE_ROW_MERGE.component,
      { decides: c, carries: [] },
    ]),
    ...layout.registers.map((r): [StateRowField, WithinLifetime, Field] => [
      "register",
      STATE_ROW_MERGE.register,
      { decides: r.stamp, carries: [r.value] },
    ]),
    ["insert", STATE_ROW_MERGE.insert, { decides: layout.insertStamp, carries: [] }],
    [
      "delete",
      STATE_ROW_MERGE.delete,
      { decides: layout.deleteStamp, carries: [layout.deleteBase] },
    ],
    ["zone", STATE_ROW_MERGE.zone, { decides: "", carries: [layout.zone] }],
  ];
  // The lifetime decides first: a later one replaces the row (but the fields merged across
  // lifetimes), an earlier one changes nothing of it, and only within one lifetime do the
  // rules above merge field by field.
  const lifetime: "replaces" = STATE_ROW_MERGE.lifetime;
  const born = q(layout.born);
  const later = takes(`excluded.${born}`, `s.${born}`);
  const same = `excluded.${born} = s.${born}`;
  const within = fields.filter(([f]) => !ACROSS_LIFETIMES.has(f)).map(([, r, f]) => rules[r](f));
  const across = fields.filter(([f]) => ACROSS_LIFETIMES.has(f)).map(([, r, f]) => rules[r](f));
  const set = [
    ...within
      .flatMap((m) => m.set)
      .map(
        ([c, expr]) =>
          `${c} = CASE WHEN ${later} THEN excluded.${c} WHEN ${same} THEN ${expr} ELSE s.${c} END`,
      ),
    ...across.flatMap((m) => m.set).map(([c, expr]) => `${c} = ${expr}`),
    `${born} = greatest(s.${born}, excluded.${born})`,
  ];
  return `INSERT INTO ${layout.stateTable} AS s (${cols.join(", ")})
SELECT ${cols.join(", ")} FROM ${stagedRows(layout)} ORDER BY ${conflictKey}
ON CONFLICT (${conflictKey}) DO UPDATE SET ${set.join(",\n  ")}
WHERE /* ${lifetime} */ ${later} OR (${same} AND (${within.map((m) => m.when).join(" OR ")}))${across.map((m) => ` OR ${m.when}`).join("")}`;
}

/** A field of the state row: the column its rule decides by, and the columns that go with it. */
interface Field {
  readonly decides: string;
  readonly carries: readonly string[];
}
