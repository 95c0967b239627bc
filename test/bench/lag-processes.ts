/**
 * Helpers for the lag bench: a replicator as its own OS process, as production runs it (the built
 * bundle, through @georep/testkit's replicatorProcess), its CPU time, its /metrics, and
 * (re-exported) Prometheus histograms merged across processes.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { findRepoRoot, freePort, replicatorProcess } from "@georep/testkit";
import { clockTicks, readProcStat } from "./proc-cpu.ts";

let built = false;
/** Builds the replicator's bundle from the sources as they are, once per bench process. */
function buildBundle(): void {
  if (built) return;
  const root = findRepoRoot();
  const run = spawnSync(process.execPath, ["--import", "tsx", join(root, "tools/build/main.ts")], {
    cwd: join(root, "apps/replicator"),
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (run.status !== 0) throw new Error(`building the replicator bundle exited ${run.status}`);
  built = true;
}

export interface BenchReplicator {
  readonly region: string;
  readonly pid: number;
  readonly port: number;
  readonly logPath: string;
  /** GET /metrics as text. */
  scrape(): Promise<string>;
  /** CPU seconds (user + system) the process has used so far, from /proc. */
  cpuSeconds(): number;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill(): Promise<void>;
}

/** Starts a replicator process for `config` on a port of its own and waits until it is active. */
export async function startReplicator(
  region: string,
  config: Record<string, unknown>,
): Promise<BenchReplicator> {
  buildBundle();
  const proc = replicatorProcess(
    region,
    { ...config, http: { port: await freePort() } },
    { bundle: true },
  );
  await proc.start();
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`replicator ${region}: no pid after start`);
  return {
    region,
    pid,
    port: proc.port,
    logPath: proc.logPath,
    scrape: () => proc.scrape(),
    cpuSeconds() {
      const stat = readProcStat(pid);
      if (stat === undefined)
        throw new Error(`replicator ${region} has exited; see ${proc.logPath}`);
      return stat.ticks / clockTicks();
    },
    stop: (graceMs) => proc.stop(graceMs),
    kill: () => proc.kill9(),
  };
}

// The histogram helpers live in @georep/testkit (the demo uses them too); re-exported for the benches.
export {
  type HistogramSummary,
  combine,
  histogramBuckets,
  scalar,
  summarize,
  windowedBuckets,
} from "@georep/testkit";
