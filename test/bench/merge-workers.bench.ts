/**
 * Merge workers: the apply rate of a backlog with one merge worker process and with two (one
 * consumer group splitting the topic's 6 partitions, each partition fenced by its progress row),
 * same workload (uniform keys, BENCH_CHANGES changes), same run. Prints each round and the median
 * ratio (2 workers / 1 worker) with the machine's load: on a shared 2-core machine the workers
 * compete with PostgreSQL, Kafka and others' jobs, so the ratio says what a second process buys
 * here, not on a machine with cores to spare.
 *
 * Timing is fair to both counts: the workers start on the empty topic and the clock runs only once
 * the group is stable with every worker in it (a second worker's join would otherwise put a
 * rebalance in its figure). Then each partition merges one warm-up envelope, which proves every
 * partition positioned and consumed and takes each process's first-batch costs out of the figure
 * (as the in-process apply bench does by timing from the first applied batch). The workers are
 * SIGSTOPped while the backlog is produced and timed from SIGCONT until the progress table shows
 * it all (sessionTimeoutMs 60 s keeps stopped workers in the group; a round whose group changed
 * anyway is marked). The hot-key workload is left out: coalesced, it is a few hundred row slices
 * on at most 10 keys, too little to split.
 * Rounds alternate which count runs first, so a drift in the machine's load favours neither.
 * Each figure comes with the time to the backlog's first commit (group commit puts up to 20,000
 * row slices in one transaction, so that first commit is most of a 30,000-change backlog, not a
 * wake-up delay), the partitions each worker held, each worker's CPU and how busy the machine was.
 *   pnpm bench workers        (BENCH_CHANGES=150000, BENCH_REPEAT=3 by default: a timed interval of
 *   several seconds; with 30,000 it was under 1 s, most of it the first commit)
 */
import { cpus, loadavg } from "node:os";
import { ensureStackUp } from "@georep/testkit";
import { uniformWorkload } from "./apply-workload.ts";
import { workersApplyRate } from "./merge-workers.ts";
import type { WorkersRate } from "./merge-workers.ts";

const changes = Number(process.env["BENCH_CHANGES"] ?? 150_000);
const repeat = Number(process.env["BENCH_REPEAT"] ?? 3);
await ensureStackUp();
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const load = (): string =>
  `${loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ")} (1 / 5 / 15 min) on ${cpus().length} cores`;
const show = (r: WorkersRate): string => {
  const cpu = r.workersCpu.reduce((a, b) => a + b, 0);
  const each = r.workersCpu.length > 1 ? ` (${r.workersCpu.map(fmt).join(" + ")})` : "";
  return (
    `${r.workers} worker${r.workers === 1 ? "" : "s"} ${fmt(r.changesPerSecond)} changes/s ` +
    `(${r.seconds.toFixed(2)} s, first commit after ${r.firstBatchSeconds.toFixed(2)} s; ` +
    `partitions ${r.split.join("+")}; workers' CPU ${fmt(cpu)}% of a core${each}; machine ${fmt(100 * r.machineBusy)}% busy` +
    `${r.regrouped ? "; GROUP CHANGED: a rebalance is in this figure" : ""})`
  );
};

const w = uniformWorkload(changes);
process.stdout.write(
  `${w.name}: ${fmt(w.changes)} changes on ${fmt(w.keys)} keys; machine load ${load()}, shared with others' jobs\n`,
);
const ratios: number[] = [];
for (let round = 1; round <= repeat; round++) {
  const counts = round % 2 === 1 ? [1, 2] : [2, 1];
  const rates = new Map<number, WorkersRate>();
  for (const n of counts) rates.set(n, await workersApplyRate(w, n));
  const [one, two] = [rates.get(1), rates.get(2)];
  if (one === undefined || two === undefined) throw new Error("both counts run every round");
  const ratio = two.changesPerSecond / one.changesPerSecond;
  ratios.push(ratio);
  process.stdout.write(
    `  round ${round}: ${show(one)}\n           ${show(two)} → ${ratio.toFixed(2)}×\n`,
  );
}
const sorted = [...ratios].sort((a, b) => a - b);
const mid = Math.floor(sorted.length / 2);
const median =
  sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
process.stdout.write(
  `\nsummary (machine load ${load()}; others' jobs skew single rounds):\n` +
    `  ${w.name}: 2 workers / 1 worker, median of ${ratios.length} round(s): ${median.toFixed(2)}× ` +
    `(rounds ${ratios.map((r) => r.toFixed(2)).join(", ")})\n`,
);
process.exit(0);
