import type { Pool } from "pg";
import { summarize, windowedBuckets } from "@georep/testkit";

export interface RegionView {
  readonly region: string;
  readonly pool: Pool;
  written: () => number;
}

/** Where the live view reads lag from: each region's replicator /metrics. */
export interface MetricsSource {
  scrape(): Promise<string>;
}

/** Lag p50/p99 (ms) over the time since the previous call, or undefined when nothing merged. */
export interface LagWindow {
  next(): Promise<{ p50: number; p99: number; rows: number } | undefined>;
}

/** The merger's own histogram: a source commit to the remote merge commit, per row slice. */
const LAG = "georep_end_to_end_lag_seconds";

/** The end-to-end lag of every region's merges over each window, from the replicators' histograms. */
export function createLagWindow(sources: readonly MetricsSource[]): LagWindow {
  let before: string[] = sources.map(() => "");
  return {
    async next() {
      const after = await Promise.all(sources.map((s) => s.scrape().catch(() => "")));
      const window = summarize(windowedBuckets(before, after, LAG));
      const first = before.every((t) => t === "");
      before = after;
      if (first || window.count === 0) return undefined;
      return {
        p50: window.quantile(0.5) * 1000,
        p99: window.quantile(0.99) * 1000,
        rows: window.count,
      };
    },
  };
}

/** One line a second while the demo runs: what each region has written and sees, and the lag. */
export async function liveLine(
  regions: readonly RegionView[],
  lag: LagWindow,
  elapsedMs: number,
): Promise<string> {
  const [parts, window] = await Promise.all([
    Promise.all(
      regions.map(async (r) => {
        const { rows } = await r.pool.query<{ rows: string; people: string }>(
          `SELECT (SELECT count(*) FROM counting_results)::text AS rows,
                  (SELECT coalesce(sum(people_in), 0) FROM counting_results)::text AS people`,
        );
        const row = rows[0];
        return `${r.region}: wrote ${String(r.written()).padStart(5)} · sees ${row?.people ?? "?"} people in ${row?.rows ?? "?"} rows`;
      }),
    ),
    lag.next(),
  ]);
  const lagText =
    window === undefined
      ? "lag: nothing merged"
      : `lag p50 ${window.p50.toFixed(0)} ms, p99 ${window.p99.toFixed(0)} ms (${window.rows} rows)`;
  return `[${(elapsedMs / 1000).toFixed(1).padStart(5)}s] ${parts.join("  |  ")}  |  ${lagText}`;
}
