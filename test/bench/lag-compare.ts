/**
 * georep against its anchor, native logical replication, at one rate or a sweep of rates: each
 * rate runs georep then native back to back in this process, prints them side by side with the
 * ratios, and a sweep ends with a table, each system's saturation point, and the chart and its
 * figures written to docs/figures/.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRepoRoot } from "@georep/testkit";
import { parseRates } from "./args.ts";
import { comparisonLines, saturationPoint, sweepTable } from "./lag-figures.ts";
import type { LagFigures, SweepPoint } from "./lag-figures.ts";
import { machineInfo } from "./machine.ts";
import { renderSweepSvg } from "./sweep-chart.ts";

export type LagRun = (rate: number) => Promise<LagFigures>;

/** BENCH_SWEEP's rates, or undefined when it is unset. */
export function sweepFromEnv(env: NodeJS.ProcessEnv = process.env): number[] | undefined {
  const text = env["BENCH_SWEEP"];
  if (text === undefined || text === "") return undefined;
  const rates = parseRates(text);
  if (typeof rates === "string")
    throw new Error(`BENCH_SWEEP ${rates} (got ${JSON.stringify(text)})`);
  return rates;
}

export async function compareLag(
  rates: readonly number[],
  seconds: number,
  runs: { georep: LagRun; native: LagRun },
  sweep: boolean,
): Promise<void> {
  const points: SweepPoint[] = [];
  for (const rate of rates) {
    const georep = await runs.georep(rate);
    const native = await runs.native(rate);
    points.push({ rate, georep, native });
    console.log(comparisonLines(georep, native).join("\n"));
  }
  if (!sweep) return;
  console.log(`\nsweep, ${seconds} s of writes per point:\n${sweepTable(points).join("\n")}`);
  const machine = machineInfo();
  const measuredAt = new Date().toISOString();
  const dir = join(findRepoRoot(), "docs/figures");
  mkdirSync(dir, { recursive: true });
  const figures = {
    measuredAt,
    machine: { ...machine, shared: true },
    secondsPerPoint: seconds,
    saturation: {
      georep: saturationPoint(points.map((p) => p.georep)),
      native: saturationPoint(points.map((p) => p.native)),
    },
    points,
  };
  writeFileSync(join(dir, "lag-sweep.json"), `${JSON.stringify(figures, null, 2)}\n`);
  writeFileSync(
    join(dir, "lag-sweep.svg"),
    renderSweepSvg({ points, machine, seconds, measuredAt }),
  );
  console.log(`  chart: docs/figures/lag-sweep.svg, figures: docs/figures/lag-sweep.json`);
}
