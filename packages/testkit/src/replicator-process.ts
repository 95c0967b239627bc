// A region's replicator as its own OS process (`node --import tsx apps/replicator/src/main.ts`,
// or with `bundle`, the built `apps/replicator/dist/georep-replicator.mjs` production runs): the
// demo, the chaos suite and the drills start regions this way, and can SIGKILL one. Its HTTP
// server listens on a port of its own, for /metrics.
//
//   created ──start()──▶ active (logged "replicator active") ──stop() / kill9()──▶ exited ──start()──▶ …
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRepoRoot } from "./repo-root.ts";
import { waitFor } from "./wait-for.ts";

export interface ReplicatorProcess {
  readonly region: string;
  readonly running: boolean;
  /** The running process's pid (undefined before start()). */
  readonly pid: number | undefined;
  /** The HTTP port (/metrics, /health, /ready): the config's http.port; 0 when it sets none. */
  readonly port: number;
  /** Where the process writes its log, appended across restarts. */
  readonly logPath: string;
  /**
   * Starts the process and waits until it logs that it is active (at most 60 s); with
   * `{ until: "serving" }`, only until it serves HTTP (a standby never becomes active).
   */
  start(options?: { until?: "active" | "serving" }): Promise<void>;
  /** Sends a signal (SIGSTOP, SIGCONT, …) to the running process. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (null when a signal ended it) once the process has exited. */
  exited(): Promise<number | null>;
  /** GET /metrics as text. */
  scrape(): Promise<string>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs` (default 15 s). */
  stop(graceMs?: number): Promise<void>;
  kill9(): Promise<void>;
}

/** The replicator's production executable, relative to the repository root (its package.json `bin`). */
export const REPLICATOR_BUNDLE = "apps/replicator/dist/georep-replicator.mjs";

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

/**
 * A replicator process (not started) for `config`, a replicator config file's content. To scrape
 * it, give the config an `http.port` (freePort() finds one).
 */
export function replicatorProcess(
  region: string,
  config: Record<string, unknown>,
  options: {
    readonly logLevel?: string;
    /**
     * Run the bundle `pnpm build` writes (REPLICATOR_BUNDLE), as deployed: it loads in about half
     * the time tsx takes to compile the sources, which is what a restart's figures should show.
     * The caller builds it first (it is not checked against the sources).
     */
    readonly bundle?: boolean;
  } = {},
): ReplicatorProcess {
  const port = (config["http"] as { port?: number } | undefined)?.port ?? 0;
  const dir = mkdtempSync(join(tmpdir(), `georep-${region}-`));
  const configPath = join(dir, "config.json");
  const logPath = join(dir, "replicator.log");
  writeFileSync(configPath, JSON.stringify(config));
  writeFileSync(logPath, "");
  const root = findRepoRoot();
  const bundlePath = join(root, REPLICATOR_BUNDLE);
  if (options.bundle === true && !existsSync(bundlePath))
    throw new Error(`no ${REPLICATOR_BUNDLE}: run \`pnpm build\` first`);
  const entry =
    options.bundle === true
      ? [bundlePath]
      : ["--import", "tsx", join(root, "apps/replicator/src/main.ts")];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const alive = (): boolean =>
    child !== undefined && child.exitCode === null && child.signalCode === null;
  return {
    region,
    port,
    logPath,
    get running() {
      return alive();
    },
    get pid() {
      return child?.pid;
    },
    async start(startOptions = {}) {
      const until = startOptions.until === "serving" ? "serving /health" : "replicator active";
      const log = openSync(logPath, "a");
      // The log is appended to across restarts: readiness is read from this run's part only.
      const from = statSync(logPath).size;
      const proc = spawn(process.execPath, [...entry, "--config", configPath], {
        cwd: root,
        stdio: ["ignore", log, log],
        env: { ...process.env, GEOREP_LOG_LEVEL: options.logLevel ?? "info" },
      });
      child = proc;
      exited = new Promise((resolve) => {
        proc.once("exit", () => {
          resolve();
        });
      });
      try {
        await waitFor(
          () => {
            if (proc.exitCode !== null || proc.signalCode !== null)
              throw new Error(`replicator ${region} exited with ${proc.exitCode}; see ${logPath}`);
            return readFileSync(logPath).subarray(from).toString("utf8").includes(until);
          },
          {
            description: `replicator ${region} to log '${until}' (log: ${logPath})`,
            timeoutMs: 60_000,
            intervalMs: 100,
          },
        );
      } catch (error) {
        proc.kill("SIGKILL");
        await exited;
        throw error;
      }
    },
    async scrape() {
      if (port === 0)
        throw new Error(`replicator ${region}: its config sets no http.port to scrape`);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      if (!res.ok) throw new Error(`replicator ${region}: /metrics answered ${res.status}`);
      return res.text();
    },
    async stop(graceMs = 15_000) {
      if (!alive()) return;
      child?.kill("SIGTERM");
      const timer = setTimeout(() => child?.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
    signal(signal) {
      if (!alive()) throw new Error(`replicator ${region} is not running`);
      child?.kill(signal);
    },
    async exited() {
      await exited;
      return child?.exitCode ?? null;
    },
    async kill9() {
      if (alive()) child?.kill("SIGKILL");
      await exited;
    },
  };
}
