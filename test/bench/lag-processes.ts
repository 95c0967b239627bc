/**
 * Helpers for the lag bench: a replicator as its own OS process (as production runs it, and as
 * test/chaos/processes.ts does), its /metrics, and Prometheus histograms merged across processes.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRepoRoot, waitFor } from "@georep/testkit";

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
  const proc: BenchReplicator = {
    region,
    port,
    logPath,
    async scrape() {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      if (!res.ok) throw new Error(`replicator ${region}: /metrics answered ${res.status}`);
      return res.text();
    },
    cpuSeconds() {
      // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the "(comm)" field.
      const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) / 100;
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

/** Cumulative bucket counts of one histogram, summed over every label set, keyed by `le` (+Inf included). */
export function histogramBuckets(text: string, name: string): Map<number, number> {
  const out = new Map<number, number>();
  const re = new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\S+)$`, "gm");
  for (const m of text.matchAll(re)) {
    const le = /le="([^"]+)"/.exec(m[1] ?? "")?.[1];
    if (le === undefined) continue;
    const bound = le === "+Inf" ? Infinity : Number(le);
    out.set(bound, (out.get(bound) ?? 0) + Number(m[2]));
  }
  return out;
}

/** a + b (or a − b with sign −1), bucket by bucket. */
export function combine(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
  sign = 1,
): Map<number, number> {
  const out = new Map(a);
  for (const [le, n] of b) out.set(le, (out.get(le) ?? 0) + sign * n);
  return out;
}

export interface HistogramSummary {
  readonly count: number;
  /** Quantile estimates, linearly interpolated within the bucket that holds them (as PromQL's histogram_quantile). */
  readonly quantile: (q: number) => number;
  /** Upper bound of the highest non-empty bucket (Infinity when something fell above the last bound). */
  readonly maxBucket: number;
}

export function summarize(buckets: ReadonlyMap<number, number>): HistogramSummary {
  const sorted = [...buckets.entries()].sort((x, y) => x[0] - y[0]);
  const count = sorted[sorted.length - 1]?.[1] ?? 0;
  let maxBucket = 0;
  let previous = 0;
  for (const [le, cumulative] of sorted) {
    if (cumulative > previous) maxBucket = le;
    previous = cumulative;
  }
  const quantile = (q: number): number => {
    if (count === 0) return NaN;
    const rank = q * count;
    let lower = 0;
    let below = 0;
    for (const [le, cumulative] of sorted) {
      if (cumulative >= rank) {
        if (le === Infinity) return lower; // above the last finite bound: report that bound
        const inBucket = cumulative - below;
        return inBucket === 0 ? le : lower + ((le - lower) * (rank - below)) / inBucket;
      }
      lower = le;
      below = cumulative;
    }
    return NaN;
  };
  return { count, quantile, maxBucket };
}
