import type { Pool } from "pg";
import type { HeartbeatEnvelope } from "@georep/contract";

/** One source partition's newest merged heartbeat that carried progress. */
export interface HeardBeat {
  readonly topic: string;
  readonly partition: number;
  readonly origin: string;
  readonly beat: HeartbeatEnvelope;
}

// Never moves back: two workers (or a retried write) may record one partition's beats out of order.
const RECORD_SQL = `INSERT INTO georep.peer_progress (topic, partition, origin, stable, applied)
VALUES ($1, $2, $3, $4::bigint, $5::jsonb)
ON CONFLICT (topic, partition) DO UPDATE
  SET origin = excluded.origin, stable = excluded.stable, applied = excluded.applied, heard_at = clock_timestamp()
  WHERE excluded.stable > georep.peer_progress.stable`;

/**
 * Records a merged heartbeat's progress. Called after the batch that carried it committed: every
 * change of the origin before it on that partition is applied, so recording it late (or losing it
 * in a crash, until the next beat) only delays collection, never makes it unsafe.
 */
export async function recordHeartbeat(pool: Pool, heard: HeardBeat): Promise<void> {
  const progress = heard.beat.progress;
  if (progress === undefined) return;
  await pool.query(RECORD_SQL, [
    heard.topic,
    heard.partition,
    heard.origin,
    progress.stable,
    JSON.stringify(progress.applied),
  ]);
}
