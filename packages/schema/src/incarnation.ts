// Incarnations of a region (docs/data-model.md, "Incarnations"): the replica id its local writes
// are recorded under, and the identity of the database history it was started on.
//
//   (no row) ──install──▶ incarnation 1 (replica = region id)
//   incarnation n ──identity changed / slot missing or lost──▶ startIncarnation ──▶ n' > n
import type pg from "pg";
import { nextIncarnation, replicaId } from "@georep/crdt";
import type { Logger } from "@georep/observability";
import { InstallError } from "./errors.ts";
import { quoteIdent } from "./identifiers.ts";
import { stateLayout } from "./layout.ts";
import type { TableSpec } from "./table-spec.ts";
import type { LocalReplica } from "./sql/capture-trigger.ts";
import { SWITCH_INCARNATION_FN } from "./sql/incarnation-switch.ts";

type Queryable = pg.Pool | pg.ClientBase;

/** What tells one database history from another (georep.db_identity()). */
export interface DbIdentity {
  readonly systemIdentifier: string;
  readonly timeline: number;
  readonly databaseOid: number;
}

export interface Incarnation extends LocalReplica {
  readonly incarnation: number;
  readonly reason: string;
  readonly identity: DbIdentity;
  readonly startedAt: Date;
  /** When a slot first streamed this incarnation (null: never attached yet). */
  readonly attachedAt: Date | null;
  /** When repair last brought back what peers hold of this region's earlier incarnations. */
  readonly repairedAt: Date | null;
}

export async function readIdentity(q: Queryable): Promise<DbIdentity> {
  const { rows } = await q.query<{ s: string; t: number; o: number }>(
    "SELECT system_identifier AS s, timeline AS t, database_oid::int8::float8 AS o FROM georep.db_identity()",
  );
  const row = rows[0];
  if (row === undefined)
    throw new InstallError("georep.db_identity() returned no row", { step: "identity" });
  return { systemIdentifier: row.s, timeline: row.t, databaseOid: row.o };
}

export function sameIdentity(a: DbIdentity, b: DbIdentity): boolean {
  return (
    a.systemIdentifier === b.systemIdentifier &&
    a.timeline === b.timeline &&
    a.databaseOid === b.databaseOid
  );
}

/** What changed between two identities, for logs and the incarnation's reason. */
export function identityChange(was: DbIdentity, now: DbIdentity): string {
  const parts: string[] = [];
  if (was.systemIdentifier !== now.systemIdentifier)
    parts.push(`system identifier ${was.systemIdentifier} -> ${now.systemIdentifier}`);
  if (was.timeline !== now.timeline) parts.push(`timeline ${was.timeline} -> ${now.timeline}`);
  if (was.databaseOid !== now.databaseOid)
    parts.push(`database oid ${was.databaseOid} -> ${now.databaseOid}`);
  return parts.join(", ");
}

interface IncarnationRow {
  replica: string;
  incarnation: string;
  reason: string;
  system_identifier: string;
  timeline: number;
  database_oid: number;
  stamp_floor: string;
  started_at: Date;
  attached_at: Date | null;
  repaired_at: Date | null;
}

const fromRow = (r: IncarnationRow): Incarnation => ({
  replica: r.replica,
  incarnation: Number(r.incarnation),
  reason: r.reason,
  identity: {
    systemIdentifier: r.system_identifier,
    timeline: r.timeline,
    databaseOid: r.database_oid,
  },
  stampFloor: BigInt(r.stamp_floor),
  startedAt: r.started_at,
  attachedAt: r.attached_at,
  repairedAt: r.repaired_at,
});

const SELECT_INCARNATION = `SELECT replica, incarnation::text, reason, system_identifier, timeline,
  database_oid::int8::float8 AS database_oid, stamp_floor::text, started_at, attached_at, repaired_at
  FROM georep.incarnations`;

/** The newest incarnation, or undefined on a database georep has not recorded one on yet. */
export async function currentIncarnation(q: Queryable): Promise<Incarnation | undefined> {
  const { rows } = await q.query<IncarnationRow>(
    `${SELECT_INCARNATION} ORDER BY incarnation DESC LIMIT 1`,
  );
  return rows[0] === undefined ? undefined : fromRow(rows[0]);
}

/** Every incarnation of this region, oldest first. */
export async function listIncarnations(q: Queryable): Promise<Incarnation[]> {
  const { rows } = await q.query<IncarnationRow>(`${SELECT_INCARNATION} ORDER BY incarnation`);
  return rows.map(fromRow);
}

/** Records that a slot streams this incarnation (idempotent). */
export async function markAttached(q: Queryable, replica: string): Promise<void> {
  await q.query(
    "UPDATE georep.incarnations SET attached_at = clock_timestamp() WHERE replica = $1 AND attached_at IS NULL",
    [replica],
  );
}

/** Records that repair brought back what peers hold of this region's earlier incarnations. */
export async function markRepaired(q: Queryable, replica: string): Promise<void> {
  await q.query(
    "UPDATE georep.incarnations SET repaired_at = clock_timestamp() WHERE replica = $1",
    [replica],
  );
}

/**
 * Records incarnation 1 (replica = the bare region id) on a database that has none yet, with
 * the identity it has now. Runs inside the installer's transaction.
 */
export function recordFirstIncarnationSql(region: string): [string, unknown[]] {
  return [
    `INSERT INTO georep.incarnations (replica, incarnation, reason, system_identifier, timeline, database_oid)
     SELECT $1, 1, 'installed', i.system_identifier, i.timeline, i.database_oid FROM georep.db_identity() i
     ON CONFLICT DO NOTHING`,
    [region],
  ];
}

/**
 * Starts a new incarnation of `region` in one transaction: waits for in-flight local writers
 * (SHARE lock on the user tables, so no transaction writes under both replicas), numbers it above
 * every incarnation known here (nextIncarnation), sets its stamp floor above every stamp in the
 * database, records it, and recompiles the capture triggers and the publication's row filter
 * for the new replica. Writes committed after it count under the new replica.
 * @throws InstallError (with the SQLSTATE) when PostgreSQL refuses a step.
 */
export async function startIncarnation(
  client: pg.ClientBase,
  config: { readonly region: string; readonly tables: readonly TableSpec[] },
  reason: string,
  nowMs: number,
  logger?: Logger,
  /** An incarnation known to exist elsewhere (e.g. on the region's topic): numbered above it. */
  knownElsewhere = 0,
): Promise<Incarnation> {
  const layouts = config.tables.map(stateLayout);
  const step = async <R extends pg.QueryResultRow>(
    name: string,
    sql: string,
    params: unknown[] = [],
  ): Promise<R[]> => {
    try {
      return (await client.query<R>(sql, params)).rows;
    } catch (cause) {
      throw new InstallError(
        `starting a new incarnation of region '${config.region}' failed: ${(cause as Error).message}`,
        { cause, step: name },
      );
    }
  };
  await step("begin", "BEGIN");
  try {
    await step("lock", "SELECT pg_advisory_xact_lock(hashtext('georep.install'))");
    // One pass over every state table finds both the greatest stamp (the new floor) and every
    // incarnation of this region whose state came back through merges or repair after its record
    // was lost; the recorded incarnations and the heartbeat join them.
    const scans = [
      "SELECT max(stamp) AS t, NULL::bigint AS n FROM georep.heartbeat",
      "SELECT NULL::bigint, max(incarnation) FROM georep.incarnations",
      ...layouts.map((l) => {
        const stamps = [
          l.insertStamp,
          l.deleteStamp,
          ...l.registers.map((r) => quoteIdent(r.stamp)),
        ];
        return `SELECT max(greatest(${stamps.join(", ")})),
          max(split_part(origin, '.', 2)::bigint) FILTER (WHERE origin LIKE $1 || '.%') FROM ${l.stateTable}`;
      }),
    ];
    const top = await step<{ t: string | null; n: string | null }>(
      "scan",
      `SELECT max(t)::text AS t, max(n)::text AS n FROM (${scans.join(" UNION ALL ")}) s`,
      [config.region],
    );
    const incarnation = nextIncarnation(Math.max(Number(top[0]?.n ?? "1"), knownElsewhere), nowMs);
    const replica = replicaId(config.region, incarnation);
    const stampFloor = BigInt(top[0]?.t ?? "0") + 1n;
    // The scan above runs before the lock: a stamp written meanwhile lands under the old replica,
    // and the new one's writes still stamp above their key's state. Bounded wait for writers: a
    // long local transaction fails this start (the reader retries), it does not stall every writer.
    // Drains writers, records the incarnation, recompiles capture and the publication for it: as
    // the installer's login, which capture (georep_reader) is not (sql/incarnation-switch.ts).
    await step("switch", `SELECT ${SWITCH_INCARNATION_FN}($1, $2, $3, $4)`, [
      replica,
      incarnation,
      reason,
      stampFloor.toString(),
    ]);
    const started = await currentIncarnation(client);
    await step("commit", "COMMIT");
    if (started === undefined)
      throw new InstallError("the new incarnation was not recorded", { step: "record" });
    logger?.warn(
      { region: config.region, replica, incarnation, reason, stampFloor: stampFloor.toString() },
      "started a new incarnation: local writes now count under a fresh replica id",
    );
    return started;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined); // the original error is the one to report
    throw error;
  }
}
