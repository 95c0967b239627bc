// The peers' heartbeats a region has merged (georep.peer_progress: per partition, the newest one
// and the progress it carried), carried over into a region filled from its snapshot. They hold as
// much for the copy as for its source: every change before them is in the snapshot. So the filled
// region knows at once what it has applied of every origin, including a region removed before it
// joined (whose topics it never reads) and one that is down, and its heartbeats report it
// (docs/data-model.md, "A region being added").
import type pg from "pg";

/** The source's recorded heartbeats, but the target's own (a region does not consume itself). */
export async function readHeardBeats(
  holder: pg.ClientBase,
  target: string,
): Promise<readonly unknown[]> {
  const { rows } = await holder.query<{ r: unknown }>(
    // stable as text: a stamp is beyond a JS number's exact range.
    `SELECT to_jsonb(p) || jsonb_build_object('stable', p.stable::text) AS r
     FROM georep.peer_progress p WHERE p.origin <> $1`,
    [target],
  );
  return rows.map((row) => row.r);
}

/** Records them in the target, never moving one back (the rule the merger records beats by). */
export async function writeHeardBeats(pool: pg.Pool, rows: readonly unknown[]): Promise<void> {
  if (rows.length === 0) return;
  await pool.query(
    `INSERT INTO georep.peer_progress (topic, partition, origin, stable, applied, heard_at)
     SELECT topic, partition, origin, stable, applied, heard_at
     FROM jsonb_populate_recordset(NULL::georep.peer_progress, $1::jsonb)
     ON CONFLICT (topic, partition) DO UPDATE
       SET origin = excluded.origin, stable = excluded.stable, applied = excluded.applied, heard_at = excluded.heard_at
       WHERE excluded.stable > georep.peer_progress.stable`,
    [JSON.stringify(rows)],
  );
}
