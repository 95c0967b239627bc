import type { Pool } from "pg";

export interface RegionView {
  readonly region: string;
  readonly pool: Pool;
  written: () => number;
}

/** One line a second while the demo runs: what each region has written and what it sees. */
export async function liveLine(regions: readonly RegionView[], elapsedMs: number): Promise<string> {
  const parts = await Promise.all(
    regions.map(async (r) => {
      const { rows } = await r.pool.query<{ rows: string; people: string; lag: string | null }>(
        `SELECT (SELECT count(*) FROM counting_results)::text AS rows,
                (SELECT coalesce(sum(people_in), 0) FROM counting_results)::text AS people,
                (SELECT round(max(extract(epoch FROM clock_timestamp() - t)) * 1000)::text FROM
                   (SELECT max(source_commit_time) AS t FROM georep.progress GROUP BY origin) x) AS lag`,
      );
      const row = rows[0];
      return `${r.region}: wrote ${String(r.written()).padStart(5)} · sees ${row?.people ?? "?"} people in ${row?.rows ?? "?"} rows · lag ${row?.lag ?? "-"} ms`;
    }),
  );
  return `[${(elapsedMs / 1000).toFixed(1).padStart(5)}s] ${parts.join("  |  ")}`;
}
