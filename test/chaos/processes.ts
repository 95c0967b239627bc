import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRepoRoot, waitFor } from "@georep/testkit";

/** A replicator running as its own OS process, so the chaos suite can SIGKILL it. */
export interface ReplicatorProcess {
  readonly region: string;
  start(): Promise<void>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
  readonly running: boolean;
}

export function replicatorProcess(
  region: string,
  config: Record<string, unknown>,
): ReplicatorProcess {
  const dir = mkdtempSync(join(tmpdir(), `georep-chaos-${region}-`));
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(config));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const root = findRepoRoot();
  return {
    region,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async start() {
      const logPath = join(dir, "replicator.log");
      const log = openSync(logPath, "a");
      // The log is appended to across restarts: readiness must be read from this run's part only.
      const from = statSync(logPath).size;
      const proc = spawn(
        process.execPath,
        ["--import", "tsx", join(root, "apps/replicator/src/main.ts"), "--config", configPath],
        {
          cwd: root,
          stdio: ["ignore", log, log],
          env: { ...process.env, GEOREP_LOG_LEVEL: "info" },
        },
      );
      child = proc;
      exited = new Promise((resolve) => {
        proc.once("exit", () => {
          resolve();
        });
      });
      // Ready = the process logged that it is active (schema installed, capture and merger running).
      await waitFor(
        () => {
          if (proc.exitCode !== null)
            throw new Error(`replicator ${region} exited with ${proc.exitCode}; see ${logPath}`);
          return readFileSync(logPath)
            .subarray(from)
            .toString("utf8")
            .includes("replicator active");
        },
        {
          description: `replicator ${region} to become active`,
          timeoutMs: 60_000,
          intervalMs: 100,
        },
      );
    },
    async kill9() {
      child?.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await exited;
    },
  };
}
