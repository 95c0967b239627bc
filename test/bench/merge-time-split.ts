/**
 * Where a merge batch's time goes in the lag bench's window: Kafka wait, row-lock wait and the
 * merge SQL, from the merger's histograms scraped before and after the window in every region.
 */
import { histogramBuckets, scalar, summarize, windowedBuckets } from "@georep/testkit";

export const SPLIT_METRICS = [
  ["georep_merge_kafka_wait_seconds", "Kafka wait (per batch: append → batch start)"],
  ["georep_merge_lock_wait_seconds", "lock wait (per merge transaction)"],
  ["georep_merge_sql_seconds", "SQL round trip (per merge txn, lock wait incl.)"],
  ["georep_merge_batch_seconds", "whole batch (for comparison)"],
] as const;

export interface WindowHistogram {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * One histogram over the window, merged across processes; undefined when no process exposes it
 * (a merger built before the metric existed).
 */
export function windowHistogram(
  before: readonly string[],
  after: readonly string[],
  name: string,
): WindowHistogram | undefined {
  if (!after.some((text) => histogramBuckets(text, name).size > 0)) return undefined;
  const summary = summarize(windowedBuckets(before, after, name));
  const sum = after.reduce(
    (a, text, i) => a + scalar(text, `${name}_sum`) - scalar(before[i] ?? "", `${name}_sum`),
    0,
  );
  return {
    count: summary.count,
    mean: summary.count > 0 ? sum / summary.count : NaN,
    p50: summary.quantile(0.5),
    p99: summary.quantile(0.99),
  };
}

const ms = (s: number): string => (Number.isFinite(s) ? `${(s * 1000).toFixed(1)} ms` : "n/a");

export function formatMergeTimeSplit(before: readonly string[], after: readonly string[]): string {
  const width = Math.max(...SPLIT_METRICS.map(([, label]) => label.length));
  const found = new Map(
    SPLIT_METRICS.map(([name]) => [name, windowHistogram(before, after, name)]),
  );
  const lines = SPLIT_METRICS.map(([name, label]) => {
    const h = found.get(name);
    return h === undefined
      ? `    ${label.padEnd(width)}  n/a (${name} not exposed)`
      : `    ${label.padEnd(width)}  n ${String(h.count).padStart(6)}  mean ${ms(h.mean).padStart(9)}  p50 ${ms(h.p50).padStart(9)}  p99 ${ms(h.p99).padStart(9)}`;
  });
  const sql = found.get("georep_merge_sql_seconds");
  const lock = found.get("georep_merge_lock_wait_seconds");
  if (sql !== undefined && lock !== undefined && sql.count > 0 && sql.count === lock.count)
    // Both are observed once per merge transaction, so their means subtract.
    lines.push(
      `    → SQL work without lock wait: mean ${ms(sql.mean - lock.mean)} per merge transaction`,
    );
  return [
    "  merge time split (window, every region; p50/p99 interpolated within buckets):",
    ...lines,
  ].join("\n");
}
