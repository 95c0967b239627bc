/**
 * The rate sweep as one hand-written SVG: lag p50 and p99 (log-scale y) against commits/s per
 * region (log-scale x, the sweep doubles rates), georep and native replication side by side.
 * Pure: data in, text out. A hollow marker is a lower bound (rows still in flight when the wait
 * ended, or past georep's last histogram bucket), so a saturated run is drawn, not dropped.
 */
import type { MachineInfo } from "./machine.ts";
import type { Bounded, LagSystem, SweepPoint } from "./lag-figures.ts";
import { SATURATION_P99_SECONDS } from "./lag-figures.ts";

export type Scale = (value: number) => number;

/** Maps [d0, d1] onto [r0, r1] logarithmically (both domain ends > 0). */
export function logScale(d0: number, d1: number, r0: number, r1: number): Scale {
  const l0 = Math.log10(d0);
  const span = Math.log10(d1) - l0;
  return (v) => r0 + ((Math.log10(v) - l0) / (span === 0 ? 1 : span)) * (r1 - r0);
}

/** Whole decades covering [lo, hi]: the y axis's bounds and ticks (e.g. 0.001 … 10). */
export function decades(lo: number, hi: number): number[] {
  const first = Math.floor(Math.log10(lo));
  const last = Math.max(first + 1, Math.ceil(Math.log10(hi)));
  return Array.from({ length: last - first + 1 }, (_, i) => Number(`1e${first + i}`));
}

/** Seconds as an axis label: "1 ms", "100 ms", "1 s", "10 s", "0.1 ms". */
export function secondsLabel(s: number): string {
  if (s >= 1) return `${Number(s.toPrecision(3))} s`;
  return `${Number((s * 1000).toPrecision(3))} ms`;
}

export interface SweepChart {
  readonly points: readonly SweepPoint[];
  readonly machine: MachineInfo;
  /** Seconds of writes per point. */
  readonly seconds: number;
  /** When it was measured, ISO 8601. */
  readonly measuredAt: string;
}

const W = 760;
const H = 460;
const M = { left: 72, right: 200, top: 64, bottom: 56 };
const COLOR: Record<LagSystem, string> = { georep: "#1f77b4", native: "#ff7f0e" };
const DASH = { p50: "6 4", p99: "" } as const;

const esc = (s: string): string =>
  s
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");

export function renderSweepSvg(chart: SweepChart): string {
  const rates = chart.points.map((p) => p.rate).sort((a, b) => a - b);
  const values = chart.points
    .flatMap((p) => [p.georep.p50, p.georep.p99, p.native.p50, p.native.p99])
    .map((b) => b.seconds)
    .filter((s) => Number.isFinite(s) && s > 0);
  const ticks = decades(
    Math.min(0.001, ...values),
    Math.max(SATURATION_P99_SECONDS * 10, ...values),
  );
  const yLo = ticks[0] ?? 0.001;
  const yHi = ticks[ticks.length - 1] ?? 10;
  const xLo = rates[0] ?? 1;
  const xHi = rates[rates.length - 1] ?? 2;
  // Half a step of padding each side so the end points are not on the axes.
  const pad = rates.length > 1 ? Math.pow(xHi / xLo, 1 / (2 * (rates.length - 1))) : 2;
  const x = logScale(xLo / pad, xHi * pad, M.left, W - M.right);
  const y = logScale(yLo, yHi, H - M.bottom, M.top);
  const out: string[] = [];
  const text = (tx: number, ty: number, s: string, attrs = ""): void => {
    out.push(`<text x="${tx.toFixed(1)}" y="${ty.toFixed(1)}" ${attrs}>${esc(s)}</text>`);
  };
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  );
  text(
    16,
    22,
    "Replication lag against write rate, 3 regions: georep and PostgreSQL native logical replication",
    'font-size="13" font-weight="bold"',
  );
  text(
    16,
    42,
    `Measured on ${chart.machine.cores} cores (${chart.machine.cpuModel}), shared with other jobs; ${chart.seconds} s of writes per point; ${chart.measuredAt.slice(0, 10)}`,
  );
  for (const t of ticks) {
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`,
    );
    text(M.left - 6, y(t) + 4, secondsLabel(t), 'text-anchor="end"');
  }
  for (const r of rates) {
    out.push(
      `<line x1="${x(r).toFixed(1)}" x2="${x(r).toFixed(1)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`,
    );
    text(x(r), H - M.bottom + 16, String(r), 'text-anchor="middle"');
  }
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#333"/>`,
  );
  text((M.left + W - M.right) / 2, H - 14, "commits/s per region", 'text-anchor="middle"');
  text(
    16,
    (M.top + H - M.bottom) / 2,
    "lag (log scale)",
    `text-anchor="middle" transform="rotate(-90 16 ${((M.top + H - M.bottom) / 2).toFixed(1)})"`,
  );
  // The saturation limit: a rate holds while p99 stays under it.
  const ly = y(SATURATION_P99_SECONDS).toFixed(1);
  out.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${ly}" y2="${ly}" stroke="#c00" stroke-dasharray="2 3"/>`,
  );
  text(
    W - M.right - 4,
    y(SATURATION_P99_SECONDS) - 4,
    "p99 1 s: saturation",
    'text-anchor="end" fill="#c00"',
  );
  for (const system of ["georep", "native"] as const)
    for (const q of ["p50", "p99"] as const) {
      const pts = chart.points
        .map((p) => ({ rate: p.rate, lag: p[system][q] }))
        .filter(
          (p): p is { rate: number; lag: Bounded } =>
            Number.isFinite(p.lag.seconds) && p.lag.seconds > 0,
        )
        .sort((a, b) => a.rate - b.rate);
      if (pts.length === 0) continue;
      const path = pts
        .map(
          (p, i) => `${i === 0 ? "M" : "L"}${x(p.rate).toFixed(1)},${y(p.lag.seconds).toFixed(1)}`,
        )
        .join(" ");
      const dash = DASH[q] === "" ? "" : ` stroke-dasharray="${DASH[q]}"`;
      out.push(`<path d="${path}" fill="none" stroke="${COLOR[system]}" stroke-width="2"${dash}/>`);
      for (const p of pts)
        out.push(
          `<circle cx="${x(p.rate).toFixed(1)}" cy="${y(p.lag.seconds).toFixed(1)}" r="4" stroke="${COLOR[system]}" stroke-width="2" fill="${p.lag.atLeast ? "white" : COLOR[system]}"/>`,
        );
    }
  // Legend, right of the plot.
  const lx = W - M.right + 16;
  const legend: [LagSystem, "p50" | "p99", string][] = [
    ["georep", "p99", "georep p99"],
    ["georep", "p50", "georep p50"],
    ["native", "p99", "native p99"],
    ["native", "p50", "native p50"],
  ];
  for (const [i, [system, q, label]] of legend.entries()) {
    const ry = M.top + 10 + i * 22;
    const dash = DASH[q] === "" ? "" : ` stroke-dasharray="${DASH[q]}"`;
    out.push(
      `<line x1="${lx}" x2="${lx + 30}" y1="${ry}" y2="${ry}" stroke="${COLOR[system]}" stroke-width="2"${dash}/>`,
    );
    text(lx + 38, ry + 4, label);
  }
  const ny = M.top + 10 + legend.length * 22 + 8;
  out.push(
    `<circle cx="${lx + 15}" cy="${ny}" r="4" stroke="#555" stroke-width="2" fill="white"/>`,
  );
  text(lx + 38, ny + 4, "only a lower bound");
  text(lx + 38, ny + 18, "known (saturated)");
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
