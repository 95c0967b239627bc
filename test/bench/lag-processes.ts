/**
 * Helpers for the lag bench: a replicator as its own OS process (as production runs it), its
 * /metrics, and (re-exported) Prometheus histograms merged across processes.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRepoRoot, waitFor } from "@georep/testkit";
import { clockTicks, readProcStat } from "./proc-cpu.ts";

/** A free TCP port on 127.0.0.1: bind port 0, read it, close. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => {
        resolve(port);
      });
    });
  });

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

/** Starts `node --import tsx apps/replicator/src/main.ts --config <file>` and waits until it is active. */
export async function startReplicator(
  region: string,
  config: Record<string, unknown>,
): Promise<BenchReplicator> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `georep-bench-${region}-`));
  const configPath = join(dir, "config.json");
  const logPath = join(dir, "replicator.log");
  writeFileSync(configPath, JSON.stringify({ ...config, http: { port } }));
  const root = findRepoRoot();
  const log = openSync(logPath, "a");
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "apps/replicator/src/main.ts"), "--config", configPath],
    { cwd: root, stdio: ["ignore", log, log], env: { ...process.env, GEOREP_LOG_LEVEL: "info" } },
  );
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const kill = async (): Promise<void> => {
    if (alive()) child.kill("SIGKILL");
    await exited;
  };
  const pid = child.pid;
  if (pid === undefined) throw new Error(`replicator ${region}: could not start node`);
  const proc: BenchReplicator = {
    region,
    pid,
    port,
    logPath,
    async scrape() {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      if (!res.ok) throw new Error(`replicator ${region}: /metrics answered ${res.status}`);
      return res.text();
    },
    cpuSeconds() {
      const stat = readProcStat(pid);
      if (stat === undefined) throw new Error(`replicator ${region} has exited; see ${logPath}`);
      return stat.ticks / clockTicks();
    },
    async stop(graceMs = 15_000) {
      if (!alive()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
    kill,
  };
  try {
    await waitFor(
      () => {
        if (!alive()) throw new Error(`replicator ${region} exited; see ${logPath}`);
        return readFileSync(logPath, "utf8").includes("replicator active");
      },
      { description: `replicator ${region} to become active`, timeoutMs: 60_000, intervalMs: 100 },
    );
  } catch (error) {
    await kill();
    throw error;
  }
  return proc;
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
