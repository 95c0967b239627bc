// One merge worker as an OS process: the merger fixture of the merge tests
// (test/merge/fixtures/merger-process.ts), which joins the region's merge consumer group.
//
//   spawned ──prints "started"──▶ running ⇄ paused (SIGSTOP / SIGCONT) ──stop()──▶ exited
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { findRepoRoot } from "@georep/testkit";
import { readProcStat } from "./proc-cpu.ts";

export interface MergeWorkerConfig {
  readonly region: string;
  readonly pgUrl: string;
  readonly brokers: readonly string[];
  readonly regions: ReadonlyArray<{ readonly id: string }>;
  readonly tables: readonly unknown[];
  /** The merger's options (packages/merger/src/options.ts). */
  readonly options: Record<string, unknown>;
}

export interface MergeWorkerProcess {
  readonly pid: number;
  /** SIGSTOP: the process stops where it is, its Kafka and PostgreSQL sessions stay open. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** CPU the process has used so far (every thread), in clock ticks; 0 once it has exited. */
  cpuTicks(): number;
  /** SIGTERM (the merger stops gracefully), SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns a worker and waits (at most 60 s) until its merger has started; the consumer then joins
 * the group in the background.
 * @throws Error when the process exits or stays silent before that (it is killed).
 */
export async function startMergeWorker(config: MergeWorkerConfig): Promise<MergeWorkerProcess> {
  const root = findRepoRoot();
  const fixture = join(root, "test/merge/fixtures/merger-process.ts");
  // node with tsx as a loader, not the tsx wrapper: the signals must reach the merger itself.
  const argv = ["--import", "tsx", fixture, JSON.stringify(config)];
  const child: ChildProcess = spawn(process.execPath, argv, {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const stop = async (graceMs = 15_000): Promise<void> => {
    if (gone()) return;
    child.kill("SIGCONT"); // a stopped process would hold SIGTERM until continued
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error("merge worker silent for 60 s"));
      }, 60_000);
      child.stdout?.on("data", (d: Buffer) => {
        if (d.toString().includes("started")) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(
          new Error(`merge worker exited (${child.exitCode ?? child.signalCode}) before starting`),
        );
      });
    });
  } catch (error) {
    await stop(0);
    throw error;
  }
  const pid = child.pid ?? 0;
  return {
    pid,
    pause: () => child.kill("SIGSTOP"),
    resume: () => child.kill("SIGCONT"),
    cpuTicks: () => readProcStat(pid)?.ticks ?? 0,
    stop,
  };
}
