import type { Pool } from "pg";
import { z } from "zod";
import { heartbeatProgressSchema } from "@georep/contract";
import type { PartitionBeat, SourcePartition } from "./barrier.ts";

const beatRowSchema = z.object({
  topic: z.string(),
  partition: z.number().int(),
  origin: z.string(),
  stable: z.string(),
  applied: z.record(z.string(), z.string()),
});

/**
 * The barrier's inputs as the database holds them: partitions with progress (all merge workers'),
 * the newest heartbeat merged per partition, origins of which rows are set aside or lost, and
 * the regions collection waits for besides the merger's own list: the membership as it is now
 * (a region added since the merger started) and regions being added (collection holds); and
 * the regions removed for good.
 * @throws the driver's error; a ZodError when a peer_progress row does not parse.
 */
export async function readBarrierInputs(pool: Pool): Promise<{
  progressed: SourcePartition[];
  beats: PartitionBeat[];
  blocked: Set<string>;
  waitedFor: string[];
  removed: string[];
}> {
  const [progress, beats, blocked] = await Promise.all([
    pool.query<SourcePartition>(`SELECT topic, partition, origin FROM georep.progress`),
    pool.query<Record<string, unknown>>(
      `SELECT topic, partition, origin, stable::text AS stable, applied FROM georep.peer_progress`,
    ),
    pool.query<{ origin: string }>(
      `SELECT origin FROM georep.quarantine
       UNION SELECT origin FROM georep.gaps WHERE repaired_at IS NULL`,
    ),
  ]);
  // After the beats, never before: a hold written after this read is written after every beat
  // read above, so the reports they carry were applied before the snapshot the hold protects.
  // Members, holds and removed regions in one snapshot: a region removed meanwhile is either
  // still waited for or removed, never neither. (A removal after the beats' read leaves its
  // barrier on beats older than its final ones: lower, so it collects less, never more.)
  const regions = await pool.query<{ region: string; removed: boolean }>(
    `SELECT id AS region, removed_at IS NOT NULL AS removed FROM georep.regions
     UNION SELECT h.region, false FROM georep.collection_holds h
     WHERE NOT EXISTS (SELECT 1 FROM georep.regions r WHERE r.id = h.region)`,
  );
  return {
    progressed: progress.rows,
    beats: beats.rows.map((raw) => {
      const row = beatRowSchema.parse(raw);
      const applied = heartbeatProgressSchema.shape.applied.parse(row.applied);
      return {
        topic: row.topic,
        partition: row.partition,
        origin: row.origin,
        stable: BigInt(row.stable),
        applied: new Map(Object.entries(applied).map(([o, s]) => [o, BigInt(s)])),
      };
    }),
    blocked: new Set(blocked.rows.map((r) => r.origin)),
    waitedFor: regions.rows.filter((r) => !r.removed).map((r) => r.region),
    removed: regions.rows.filter((r) => r.removed).map((r) => r.region),
  };
}

/** Replaces what this region reports as applied (its next heartbeat carries it). */
export async function writeApplied(
  pool: Pool,
  applied: ReadonlyMap<string, bigint>,
): Promise<void> {
  const origins = [...applied.keys()];
  await pool.query(
    `WITH a AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS a(origin, stamp)),
     gone AS (DELETE FROM georep.applied g WHERE NOT EXISTS (SELECT 1 FROM a WHERE a.origin = g.origin))
     INSERT INTO georep.applied (origin, stamp) SELECT origin, stamp FROM a
     ON CONFLICT (origin) DO UPDATE SET stamp = excluded.stamp, computed_at = clock_timestamp()`,
    [origins, origins.map((o) => String(applied.get(o)))],
  );
}
