import type { Queryable } from "../postgres/queryable.ts";

/**
 * Writes this region's heartbeat row. It is in the publication, so every beat is a committed
 * change on the slot: idle or fully-filtered slots still advance, and remote regions can tell
 * "idle" from "lagging". PostgreSQL 15 sends no empty transactions, so this is what moves them.
 */
export async function writeHeartbeat(client: Queryable, region: string): Promise<void> {
  await client.query(
    `INSERT INTO georep.heartbeat (region, stamp) VALUES ($1, georep.wall_stamp())
     ON CONFLICT (region) DO UPDATE SET stamp = excluded.stamp, beat_at = clock_timestamp()`,
    [region],
  );
}
