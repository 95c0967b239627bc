/**
 * Apply rate: PostgreSQL native logical replication catch-up vs the merger, same machine, same run,
 * on uniform keys and on the hot-key camera-counting workload (the shipper coalesces a key's
 * changes within a flush window into one slice). Targets: ≥ 1.0× native on uniform, ≥ 5× on hot keys.
 * Each workload runs BENCH_REPEAT rounds (native then merger, back to back); the verdict uses the
 * median of the rounds' ratios, so one round disturbed by another job on the machine does not decide.
 *   npx tsx test/bench/apply.bench.ts        (BENCH_CHANGES=30000, BENCH_REPEAT=3 by default)
 */
import { cpus, loadavg } from "node:os";
import { ensureStackUp } from "@georep/testkit";
import { nativeApplyRate } from "./apply-native.ts";
import { mergerApplyRate } from "./apply-merger.ts";
import { hotKeyWorkload, uniformWorkload } from "./apply-workload.ts";

const changes = Number(process.env["BENCH_CHANGES"] ?? 30_000);
const repeat = Number(process.env["BENCH_REPEAT"] ?? 3);
await ensureStackUp();
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1
    ? (s[(s.length - 1) / 2] ?? NaN)
    : ((s[s.length / 2 - 1] ?? NaN) + (s[s.length / 2] ?? NaN)) / 2;
};
const verdicts: string[] = [];
for (const [w, target] of [
  [uniformWorkload(changes), 1.0],
  [hotKeyWorkload(changes), 5.0],
] as const) {
  process.stdout.write(`${w.name}: ${fmt(w.changes)} changes on ${fmt(w.keys)} keys\n`);
  const ratios: number[] = [];
  for (let round = 1; round <= repeat; round++) {
    const native = await nativeApplyRate(w);
    const ours = await mergerApplyRate(w);
    const ratio = ours.changesPerSecond / native;
    ratios.push(ratio);
    process.stdout.write(
      `  round ${round}: native ${fmt(native)} changes/s, merger ${fmt(ours.changesPerSecond)} changes/s ` +
        `(${fmt(ours.rowsPerSecond)} state rows/s, ${fmt(ours.rows)} rows in ${fmt(ours.envelopes)} envelopes) → ${ratio.toFixed(2)}×\n`,
    );
  }
  const m = median(ratios);
  const verdict = `${w.name}: median ${m.toFixed(2)}× native (target ≥ ${target.toFixed(1)}×) ${m >= target ? "OK" : "BELOW TARGET"}`;
  verdicts.push(verdict);
  process.stdout.write(`  ${verdict}\n`);
}
process.stdout.write(
  `\nsummary (machine load ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores; others' jobs skew single rounds):\n  ${verdicts.join("\n  ")}\n`,
);
process.exit(0);
