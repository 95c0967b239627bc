// The peers' heartbeats a region has merged (georep.peer_progress: per partition, the newest one
// and the progress it carried), carried over into a region filled from its snapshot. They hold as
// much for the copy as for its source: every change before them is in the snapshot. So the filled
// region knows at once what it has applied of every origin, including a region removed before it
// joined (whose topics it never reads) and one that is down, and its heartbeats report it
// (docs/data-model.md, "A region being added"). The removed regions come along with their beats:
// the new region's config lists live regions only, and without knowing a region removed, its
// collector would not count that region's final beats.
import type pg from "pg";

export interface HeardBeats {
  readonly beats: readonly unknown[];
  readonly removed: ReadonlyArray<{ id: string; zone: string | null; removed_at: string }>;
}

/** The source's recorded heartbeats, but the target's own (a region does not consume itself), and its removed regions. */
export async function readHeardBeats(holder: pg.ClientBase, target: string): Promise<HeardBeats> {
  const { rows: removed } = await holder.query<{
    id: string;
    zone: string | null;
    removed_at: string;
  }>(
    `SELECT id, zone, removed_at::text AS removed_at FROM georep.regions
     WHERE removed_at IS NOT NULL AND id <> $1`,
    [target],
  );
  const { rows } = await holder.query<{ r: unknown }>(
    // stable as text: a stamp is beyond a JS number's exact range.
    `SELECT to_jsonb(p) || jsonb_build_object('stable', p.stable::text) AS r
     FROM georep.peer_progress p WHERE p.origin <> $1`,
    [target],
  );
  return { beats: rows.map((row) => row.r), removed };
}

/**
 * Records them in the target, never moving a beat back (the rule the merger records beats by)
 * and keeping a removal the target knows already.
 */
export async function writeHeardBeats(pool: pg.Pool, heard: HeardBeats): Promise<void> {
  if (heard.removed.length > 0)
    await pool.query(
      `INSERT INTO georep.regions (id, zone, removed_at)
       SELECT id, zone, removed_at FROM jsonb_populate_recordset(NULL::georep.regions, $1::jsonb)
       ON CONFLICT (id) DO UPDATE SET removed_at = coalesce(georep.regions.removed_at, excluded.removed_at)`,
      [JSON.stringify(heard.removed)],
    );
  if (heard.beats.length === 0) return;
  await pool.query(
    `INSERT INTO georep.peer_progress (topic, partition, origin, stable, applied, heard_at)
     SELECT topic, partition, origin, stable, applied, heard_at
     FROM jsonb_populate_recordset(NULL::georep.peer_progress, $1::jsonb)
     ON CONFLICT (topic, partition) DO UPDATE
       SET origin = excluded.origin, stable = excluded.stable, applied = excluded.applied, heard_at = excluded.heard_at
       WHERE excluded.stable > georep.peer_progress.stable`,
    [JSON.stringify(heard.beats)],
  );
}
