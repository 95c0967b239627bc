// A consistent copy of a peer's CRDT state into a new (or rebuilt) region, with the positions
// from which the copy's merger goes on (docs/operate.md, "Region lifecycle"):
//
//   ends of the peer's own topics ──▶ BEGIN REPEATABLE READ on the peer, export its snapshot,
//   read its georep.progress ──▶ every state row in that snapshot merged into the target
//   (repairRegion, all origins and incarnations) ──▶ the target's georep.progress seeded, and the
//   peers' heartbeats the source merged (heard-beats.ts) ──▶ COMMIT
//
// Each origin's changes then reach the target exactly once-or-more: those the peer had applied
// are in the copy, and the target's merger reads on from the offset the peer had applied to. The
// peer's own changes shipped before the ends were taken were committed before the snapshot, so
// they are in it; the merger reads the peer's topics from those ends. Merges are joins, so a
// change that arrives twice changes nothing.
import type pg from "pg";
import type { RepairPeer, RepairReport, RepairTarget } from "./repair.ts";
import { repairRegion } from "./repair.ts";
import type { RepairOptions } from "./repair.ts";
import { RepairError } from "./errors.ts";
import { readHeardBeats, writeHeardBeats } from "./heard-beats.ts";

/** End offsets per topic and partition (the next offset each would be written at). */
export type TopicEnds = ReadonlyMap<string, ReadonlyMap<number, bigint>>;

export interface SeededPosition {
  readonly topic: string;
  readonly partition: number;
  readonly origin: string;
  /** Last offset counted as applied (the merger reads from the next one). */
  readonly offset: bigint;
}

export interface SnapshotCopyReport extends RepairReport {
  readonly source: string;
  readonly positions: readonly SeededPosition[];
  /** The source's quarantined rows and unrepaired gaps the target took over. */
  readonly setAside: { readonly quarantined: number; readonly gaps: number };
  /** The source's recorded peer heartbeats the target took over (heard-beats.ts). */
  readonly heardBeats: number;
}

export interface SnapshotCopyOptions extends Omit<RepairOptions, "sources" | "target"> {
  readonly target: RepairTarget;
  readonly source: RepairPeer;
  /** The topics the target's merger consumes, with their origin (the merger's sourceTopics). */
  readonly consumes: ReadonlyMap<string, string>;
  /** End offsets of the source's own topics, read before the snapshot is taken. */
  readonly sourceTopicEnds: () => Promise<TopicEnds>;
}

/**
 * Copies the source's state into the target as of one snapshot and seeds the target's progress.
 * @throws RepairError naming the regions, with the PostgreSQL error as its cause.
 */
export async function copySnapshot(o: SnapshotCopyOptions): Promise<SnapshotCopyReport> {
  const ends = await o.sourceTopicEnds();
  const holder = await o.source.pool.connect();
  const context = { source: o.source.region, target: o.target.region };
  try {
    await holder.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const {
      rows: [exported],
    } = await holder.query<{ id: string }>("SELECT pg_export_snapshot() AS id");
    const { rows: applied } = await holder.query<{
      topic: string;
      partition: number;
      origin: string;
      kafka_offset: string;
    }>("SELECT topic, partition, origin, kafka_offset::text FROM georep.progress");
    const setAside = await readSetAside(holder, o.target.region, o.consumes);
    const heard = await readHeardBeats(holder, o.target.region);
    const report = await repairRegion({
      ...o,
      sources: [{ ...o.source, snapshot: exported?.id ?? "" }],
    });
    const positions = seedPositions(applied, ends, o.source.region, o.target.region, o.consumes);
    // What the source skipped past (set-aside rows, unrepaired gaps) is behind the seeded
    // positions: the target takes it over, to retry and to repair as the source would.
    await writeSetAside(o.target.pool, setAside);
    await writePositions(o.target.pool, positions);
    await writeHeardBeats(o.target.pool, heard);
    await holder.query("COMMIT");
    return {
      ...report,
      source: o.source.region,
      positions,
      setAside: { quarantined: setAside.quarantine.length, gaps: setAside.gaps.length },
      heardBeats: heard.beats.length,
    };
  } catch (error) {
    await holder.query("ROLLBACK").catch(() => undefined); // the original error is the one to report
    if (error instanceof RepairError) throw error;
    throw new RepairError(
      `copying region '${o.source.region}''s state into '${o.target.region}' failed: ${(error as Error).message}`,
      context,
      { cause: error },
    );
  } finally {
    holder.release();
  }
}

/**
 * The target's starting positions: the source's progress on every topic the target consumes
 * (never the target's own: a region does not consume itself), and for the source's own topics
 * the ends taken before the snapshot.
 */
export function seedPositions(
  applied: ReadonlyArray<{
    topic: string;
    partition: number;
    origin: string;
    kafka_offset: string;
  }>,
  sourceEnds: TopicEnds,
  source: string,
  target: string,
  consumes: ReadonlyMap<string, string>,
): SeededPosition[] {
  const out: SeededPosition[] = [];
  for (const row of applied) {
    if (row.origin === target || consumes.get(row.topic) !== row.origin) continue;
    out.push({
      topic: row.topic,
      partition: row.partition,
      origin: row.origin,
      offset: BigInt(row.kafka_offset),
    });
  }
  for (const [topic, partitions] of sourceEnds) {
    if (consumes.get(topic) !== source) continue;
    for (const [partition, end] of partitions)
      if (end > 0n) out.push({ topic, partition, origin: source, offset: end - 1n });
  }
  return out;
}

async function writePositions(pool: pg.Pool, positions: readonly SeededPosition[]): Promise<void> {
  if (positions.length === 0) return;
  // GREATEST: a position already further (the target's merger ran) is never moved back.
  await pool.query(
    `INSERT INTO georep.progress (topic, partition, origin, kafka_offset)
     SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[])
     ON CONFLICT (topic, partition) DO UPDATE
       SET kafka_offset = greatest(georep.progress.kafka_offset, excluded.kafka_offset)`,
    [
      positions.map((p) => p.topic),
      positions.map((p) => p.partition),
      positions.map((p) => p.origin),
      positions.map((p) => p.offset.toString()),
    ],
  );
}

interface SetAside {
  readonly quarantine: readonly unknown[];
  readonly gaps: readonly unknown[];
}

/**
 * In the snapshot: the source's quarantined rows (merged later, or never, past its progress) and
 * its unrepaired gaps, on the topics the target consumes, as JSON rows to insert as they are.
 */
async function readSetAside(
  holder: pg.PoolClient,
  target: string,
  consumes: ReadonlyMap<string, string>,
): Promise<SetAside> {
  const { rows: quarantine } = await holder.query<{ r: unknown }>(
    `SELECT to_jsonb(q) - 'id' AS r FROM georep.quarantine q WHERE q.origin <> $1 ORDER BY q.id`,
    [target],
  );
  const { rows: gaps } = await holder.query<{ r: unknown }>(
    `SELECT to_jsonb(g) AS r FROM georep.gaps g
     WHERE g.repaired_at IS NULL AND g.origin <> $1 AND g.topic = ANY($2)`,
    [target, [...consumes.keys()]],
  );
  return { quarantine: quarantine.map((q) => q.r), gaps: gaps.map((g) => g.r) };
}

async function writeSetAside(pool: pg.Pool, rows: SetAside): Promise<void> {
  if (rows.quarantine.length > 0)
    await pool.query(
      `INSERT INTO georep.quarantine (table_name, row_key, origin, reason, sql_state, detail, source, envelope, quarantined_at, last_attempt_at, attempts)
       SELECT table_name, row_key, origin, reason, sql_state, detail, source, envelope, quarantined_at, last_attempt_at, attempts
       FROM jsonb_populate_recordset(NULL::georep.quarantine, $1::jsonb)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(rows.quarantine)],
    );
  if (rows.gaps.length > 0)
    await pool.query(
      `INSERT INTO georep.gaps SELECT * FROM jsonb_populate_recordset(NULL::georep.gaps, $1::jsonb)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(rows.gaps)],
    );
}
