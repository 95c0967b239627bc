/**
 * Bounded memory while catching up a large backlog: the capture (a WAL backlog) and the merger
 * (a Kafka backlog) each catch up a backlog of N and of 4N changes, each run in a fresh process
 * (backlog-run.ts). Memory is bounded when the peak live heap does not grow with the backlog:
 * the verdict compares the 4N peak with the N peak (the aim: at most 1.5× for 4× the backlog).
 * Then the catch-up time after outages of BENCH_OUTAGE_MINUTES (1,5,10; 0 skips) at
 * BENCH_OUTAGE_RATE (100) commits/s per region, against the aim of 10% of the outage
 * (outage-catchup.ts).
 *   npx tsx test/bench/backlog.bench.ts     (BENCH_BACKLOG_CAPTURE=250000, BENCH_BACKLOG_MERGER=100000)
 */
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { ensureStackUp, findRepoRoot } from "@georep/testkit";
import type { BacklogRun } from "./backlog-run.ts";
import { outageCatchUps } from "./outage-catchup.ts";
import { outageSettings } from "./outage-figures.ts";

const sizes: Record<"capture" | "merger", number> = {
  capture: Number(process.env["BENCH_BACKLOG_CAPTURE"] ?? 250_000),
  merger: Number(process.env["BENCH_BACKLOG_MERGER"] ?? 100_000),
};
const GROWTH_AIM = 1.5;
// Read first: a bad BENCH_OUTAGE_* value fails now, not after the backlog runs.
const outages = outageSettings();

function runOnce(role: string, changes: number): BacklogRun {
  const run = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", "test/bench/backlog-run.ts", role, String(changes)],
    { cwd: findRepoRoot(), encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  const line = run.stdout.trim().split("\n").pop() ?? "";
  if (run.status !== 0) throw new Error(`backlog-run ${role} ${changes} exited ${run.status}`);
  return JSON.parse(line) as BacklogRun;
}

await ensureStackUp();
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const verdicts: string[] = [];
for (const role of ["capture", "merger"] as const) {
  const n = sizes[role];
  const runs = [n, 4 * n].map((changes) => ({ changes, run: runOnce(role, changes) }));
  for (const { changes, run } of runs) {
    process.stdout.write(
      `${role.padEnd(8)} backlog ${fmt(changes).padStart(9)} changes: caught up in ${run.seconds.toFixed(1)} s ` +
        `(${fmt(changes / run.seconds)}/s), peak live heap ${run.peakLiveHeapMb.toFixed(0)} MB, ` +
        `peak RSS ${run.peakRssMb.toFixed(0)} MB (${run.baselineRssMb.toFixed(0)} MB before)\n`,
    );
  }
  const [small, large] = runs.map((r) => r.run.peakLiveHeapMb);
  const growth = (large ?? NaN) / (small ?? NaN);
  const verdict = `${role}: peak live heap ×${growth.toFixed(2)} for ×4 the backlog (aim ≤ ${GROWTH_AIM}×) ${growth <= GROWTH_AIM ? "BOUNDED" : "GROWS WITH THE BACKLOG"}`;
  verdicts.push(verdict);
  process.stdout.write(`  ${verdict}\n`);
}
verdicts.push(...(await outageCatchUps(outages)));
process.stdout.write(
  `\nsummary (machine load ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores):\n  ${verdicts.join("\n  ")}\n`,
);
process.exit(0);
