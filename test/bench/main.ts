/**
 * `pnpm bench`: every benchmark, one after another (they would disturb each other on two
 * cores), each printing its figures and its ratio to the anchor measured in the same run.
 *   pnpm bench [crdt|writes|capture|apply|lag|backlog ...]
 */
import { spawnSync } from "node:child_process";
import { findRepoRoot } from "@georep/testkit";

const benches: Record<string, string> = {
  crdt: "packages/crdt/bench/main.ts",
  writes: "test/bench/write-overhead.bench.ts",
  capture: "test/bench/capture.bench.ts",
  apply: "test/bench/apply.bench.ts",
  lag: "test/bench/lag.bench.ts",
  backlog: "test/bench/backlog.bench.ts",
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in benches));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark(s) ${unknown.join(", ")}; choose from ${Object.keys(benches).join(", ")}\n`,
  );
  process.exit(2);
}
let failed = 0;
for (const [name, file] of Object.entries(benches)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`\n=== ${name} (${file}) ===\n`);
  const run = spawnSync(process.execPath, ["--import", "tsx", file], {
    cwd: findRepoRoot(),
    stdio: "inherit",
  });
  if (run.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
