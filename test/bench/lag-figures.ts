/**
 * One lag measurement's figures (georep's or native replication's) and the pure arithmetic on
 * them: quantiles when some rows never arrived, the saturation point, the side-by-side lines.
 */

export type LagSystem = "georep" | "native";

/** A lag quantile in seconds; `atLeast` when only a lower bound is known (rows still in flight). */
export interface Bounded {
  readonly seconds: number;
  readonly atLeast: boolean;
}

export interface LagFigures {
  readonly system: LagSystem;
  /** Commits per second per region asked for. */
  readonly rate: number;
  /** Commits per second per region made, the regions' mean. */
  readonly achieved: number;
  readonly p50: Bounded;
  readonly p99: Bounded;
  /** Rows (or row slices) that arrived in another region, and how many were written for them. */
  readonly arrived: number;
  readonly expected: number;
  /** Fraction of the whole machine's CPU busy over the window. */
  readonly machineBusy: number;
}

/** p99 ≤ this holds a rate (the definition of the saturation point). */
export const SATURATION_P99_SECONDS = 1;
/** Below this share of the requested rate, the writers (not replication) could not keep up. */
export const ACHIEVED_SHARE = 0.9;

/**
 * The q-quantile over `known + censored` rows, where `known` rows have lags given by
 * `knownQuantile` and the `censored` ones (still not arrived) are only known to exceed `bound`.
 */
export function censoredQuantile(
  q: number,
  known: number,
  censored: number,
  knownQuantile: (q: number) => number,
  bound: number,
): Bounded {
  const total = known + censored;
  if (total === 0) return { seconds: NaN, atLeast: false };
  const rank = q * total;
  if (rank > known) return { seconds: bound, atLeast: true };
  return { seconds: knownQuantile(rank / known), atLeast: false };
}

/** The q-quantile of sorted values, interpolated linearly between closest ranks. */
export function sortedQuantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const a = sorted[lo] ?? NaN;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] ?? NaN;
  return a + (b - a) * (at - lo);
}

/** Whether a run held its rate: p99 within the limit and the writers made ≥ 90% of the rate. */
export const held = (f: LagFigures): boolean =>
  !f.p99.atLeast &&
  f.p99.seconds <= SATURATION_P99_SECONDS &&
  f.achieved >= ACHIEVED_SHARE * f.rate;

export interface Saturation {
  /** The highest rate that held, undefined when none did. */
  readonly rate: number | undefined;
  /** True when the highest rate measured held: the saturation point is at least `rate`. */
  readonly beyond: boolean;
}

/** The saturation point: the highest rate measured with p99 ≤ 1 s (and its rate achieved). */
export function saturationPoint(runs: readonly LagFigures[]): Saturation {
  const sorted = [...runs].sort((a, b) => a.rate - b.rate);
  const ok = sorted.filter(held);
  const best = ok[ok.length - 1];
  return { rate: best?.rate, beyond: best !== undefined && best === sorted[sorted.length - 1] };
}

export const formatSaturation = (s: Saturation): string =>
  s.rate === undefined ? "below the lowest rate" : `${s.beyond ? "≥ " : ""}${s.rate}/s`;

/** "12.3 ms", "≥ 30000.0 ms"; "n/a" when nothing arrived. */
export const formatLag = (b: Bounded): string =>
  Number.isNaN(b.seconds) ? "n/a" : `${b.atLeast ? "≥ " : ""}${(b.seconds * 1000).toFixed(1)} ms`;

/** georep's over native's, as "12.3×"; "≥ 12.3×" when georep's is a lower bound. */
export function formatRatio(georep: Bounded, native: Bounded): string {
  if (native.atLeast || !(native.seconds > 0) || Number.isNaN(georep.seconds)) return "n/a";
  return `${georep.atLeast ? "≥ " : ""}${(georep.seconds / native.seconds).toFixed(1)}×`;
}

/** The two systems at one rate, side by side, with the ratios. */
export function comparisonLines(georep: LagFigures, native: LagFigures): string[] {
  const row = (f: LagFigures): string =>
    `  ${f.system.padEnd(7)} p50 ${formatLag(f.p50).padStart(12)}   p99 ${formatLag(f.p99).padStart(12)}   achieved ${f.achieved.toFixed(0).padStart(5)}/s per region   arrived ${f.arrived}/${f.expected}   machine ${(f.machineBusy * 100).toFixed(0)}% busy`;
  return [
    `georep vs native logical replication at ${georep.rate} commits/s per region, 3 regions:`,
    row(georep),
    row(native),
    `  ratio georep/native: p50 ${formatRatio(georep.p50, native.p50)}   p99 ${formatRatio(georep.p99, native.p99)}`,
  ];
}

export interface SweepPoint {
  readonly rate: number;
  readonly georep: LagFigures;
  readonly native: LagFigures;
}

/** The sweep as a table, one rate a line, then each system's saturation point. */
export function sweepTable(points: readonly SweepPoint[]): string[] {
  const cell = (b: Bounded): string => formatLag(b).padStart(12);
  const lines = [
    `  ${"rate/s".padStart(6)}  ${"georep p50".padStart(12)}  ${"georep p99".padStart(12)}  ${"native p50".padStart(12)}  ${"native p99".padStart(12)}  ${"p50 ratio".padStart(9)}  ${"p99 ratio".padStart(9)}  achieved g/n`,
  ];
  for (const p of points)
    lines.push(
      `  ${String(p.rate).padStart(6)}  ${cell(p.georep.p50)}  ${cell(p.georep.p99)}  ${cell(p.native.p50)}  ${cell(p.native.p99)}  ${formatRatio(p.georep.p50, p.native.p50).padStart(9)}  ${formatRatio(p.georep.p99, p.native.p99).padStart(9)}  ${p.georep.achieved.toFixed(0)}/${p.native.achieved.toFixed(0)}`,
    );
  const g = saturationPoint(points.map((p) => p.georep));
  const n = saturationPoint(points.map((p) => p.native));
  lines.push(
    `  saturation point (highest rate with p99 ≤ ${SATURATION_P99_SECONDS} s and ≥ ${ACHIEVED_SHARE * 100}% of it achieved): georep ${formatSaturation(g)}, native ${formatSaturation(n)}`,
  );
  return lines;
}
