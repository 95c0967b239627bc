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
    // stable and applied tell peers how far this region got, for tombstone collection
    // (docs/data-model.md, "Tombstones"); applied is what the merger computed last.
    `INSERT INTO georep.heartbeat (region, stamp, stable, applied)
     VALUES ($1, georep.wall_stamp(), georep.stable_stamp(),
       (SELECT coalesce(jsonb_object_agg(origin, stamp::text), '{}'::jsonb) FROM georep.applied))
     ON CONFLICT (region) DO UPDATE SET stamp = excluded.stamp, stable = excluded.stable,
       applied = excluded.applied, beat_at = clock_timestamp()
     RETURNING pg_current_wal_insert_lsn()::text AS lsn`,
    [region],
  );
  return parseLsn(rows[0]?.lsn ?? "0/0");
}
