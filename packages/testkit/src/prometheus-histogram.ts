// Prometheus histograms read from /metrics text: buckets summed over label sets and processes,
// windows (after − before), and quantiles interpolated within a bucket as PromQL's
// histogram_quantile does. Used by the demo's live view and the benchmarks.

/** Cumulative bucket counts of one histogram, summed over every label set, keyed by `le` (+Inf included). */
export function histogramBuckets(text: string, name: string): Map<number, number> {
  const out = new Map<number, number>();
  const re = new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\S+)$`, "gm");
  for (const m of text.matchAll(re)) {
    const le = /le="([^"]+)"/.exec(m[1] ?? "")?.[1];
    if (le === undefined) continue;
    const bound = le === "+Inf" ? Infinity : Number(le);
    out.set(bound, (out.get(bound) ?? 0) + Number(m[2]));
  }
  return out;
}

/** Sum of a counter's or gauge's samples over every label set (0 when absent). */
export const scalar = (text: string, name: string): number =>
  [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))].reduce(
    (a, m) => a + Number(m[1]),
    0,
  );

/** a + b (or a − b with sign −1), bucket by bucket. */
export function combine(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
  sign = 1,
): Map<number, number> {
  const out = new Map(a);
  for (const [le, n] of b) out.set(le, (out.get(le) ?? 0) + sign * n);
  return out;
}

/** One histogram's buckets over a window (after − before), summed across processes. */
export function windowedBuckets(
  before: readonly string[],
  after: readonly string[],
  name: string,
): Map<number, number> {
  let out = new Map<number, number>();
  for (const [i, text] of after.entries())
    out = combine(
      out,
      combine(histogramBuckets(text, name), histogramBuckets(before[i] ?? "", name), -1),
    );
  return out;
}

export interface HistogramSummary {
  readonly count: number;
  /** Quantile estimates, linearly interpolated within the bucket that holds them (as PromQL's histogram_quantile). */
  readonly quantile: (q: number) => number;
  /** Upper bound of the highest non-empty bucket (Infinity when something fell above the last bound). */
  readonly maxBucket: number;
}

export function summarize(buckets: ReadonlyMap<number, number>): HistogramSummary {
  const sorted = [...buckets.entries()].sort((x, y) => x[0] - y[0]);
  const count = sorted[sorted.length - 1]?.[1] ?? 0;
  let maxBucket = 0;
  let previous = 0;
  for (const [le, cumulative] of sorted) {
    if (cumulative > previous) maxBucket = le;
    previous = cumulative;
  }
  const quantile = (q: number): number => {
    if (count === 0) return NaN;
    const rank = q * count;
    let lower = 0;
    let below = 0;
    for (const [le, cumulative] of sorted) {
      if (cumulative >= rank) {
        if (le === Infinity) return lower; // above the last finite bound: report that bound
        const inBucket = cumulative - below;
        return inBucket === 0 ? le : lower + ((le - lower) * (rank - below)) / inBucket;
      }
      lower = le;
      below = cumulative;
    }
    return NaN;
  };
  return { count, quantile, maxBucket };
}
