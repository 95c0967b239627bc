import type { Queryable } from "../postgres/queryable.ts";
import { parseLsn } from "../postgres/lsn.ts";
import type { Lsn } from "../postgres/lsn.ts";

/**
 * Writes this region's heartbeat row. It is in the publication, so every beat is a committed
 * change on the slot: idle or fully-filtered slots still advance, and remote regions can tell
 * "idle" from "lagging". PostgreSQL 15 sends no empty transactions, so this is what moves them.
 */
export async function writeHeartbeat(client: Queryable, region: string): Promise<Lsn> {
  // The WAL position after the beat: capture has work pending until its durable LSN passes it
  // (the replicator's stall check).
  const { rows } = await client.query<{ lsn: string }>(
    `INSERT INTO georep.heartbeat (region, stamp) VALUES ($1, georep.wall_stamp())
     ON CONFLICT (region) DO UPDATE SET stamp = excluded.stamp, beat_at = clock_timestamp()
     RETURNING pg_current_wal_insert_lsn()::text AS lsn`,
    [region],
  );
  return parseLsn(rows[0]?.lsn ?? "0/0");
}
