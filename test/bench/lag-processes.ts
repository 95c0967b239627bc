/**
 * Helpers for the lag bench: a replicator as its own OS process (as production runs it, through
 * @georep/testkit's replicatorProcess, as the demo and the chaos suite do), its CPU time, its
 * /metrics, and (re-exported) Prometheus histograms merged across processes.
 */
import { freePort, replicatorProcess } from "@georep/testkit";
import { clockTicks, readProcStat } from "./proc-cpu.ts";

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
  const proc = replicatorProcess(region, { ...config, http: { port: await freePort() } });
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
