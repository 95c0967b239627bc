/**
 * `pnpm bench [name...]`: every benchmark, or the named ones, one after another (they would
 * disturb each other on two cores), each printing its figures and its ratio to the anchor
 * measured in the same run. `pnpm bench --help` lists them. `pnpm bench lag --sweep 50,100,200,400`
 * hands the rates to the lag bench as BENCH_SWEEP.
 */
import { spawnSync } from "node:child_process";
import { parseOrExit } from "@georep/command-line";
import { findRepoRoot } from "@georep/testkit";
import { benches, parseBenchArgs } from "./args.ts";

const { names, sweep } = parseOrExit(() => parseBenchArgs(process.argv.slice(2)));
const env = sweep === undefined ? process.env : { ...process.env, BENCH_SWEEP: sweep.join(",") };
let failed = 0;
for (const name of names) {
  const file = benches[name];
  process.stdout.write(`\n=== ${name} (${file}) ===\n`);
  const run = spawnSync(process.execPath, ["--import", "tsx", file], {
    cwd: findRepoRoot(),
    stdio: "inherit",
    env,
  });
  if (run.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
