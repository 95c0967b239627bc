/**
 * What idle replicators cost: each replicator process's CPU over a window with no writes
 * (BENCH_IDLE_SECONDS, 10 by default; 0 skips), as a share of one core. The lag bench measures
 * it once, after its window has drained, so the processes have warmed up and then gone quiet
 * as a region does between bursts; whatever they still do then (polls, heartbeats, offset and
 * progress commits, metrics) is the idle cost.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { BenchReplicator } from "./lag-processes.ts";
import { busyBetween } from "./machine.ts";
import { machineCpu } from "./proc-cpu.ts";

/**
 * BENCH_IDLE_SECONDS: the idle window's length in seconds (10 when unset; 0 skips).
 * @throws Error naming the value when it is not a number of seconds ≥ 0.
 */
export function idleSecondsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env["BENCH_IDLE_SECONDS"] ?? "10";
  const seconds = text.trim() === "" ? NaN : Number(text);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new Error(
      `BENCH_IDLE_SECONDS needs a number of seconds ≥ 0, e.g. 10, or 0 to skip (got ${JSON.stringify(text)})`,
    );
  return seconds;
}

export interface IdleCost {
  readonly seconds: number;
  /** CPU seconds each replicator used over the window, by region. */
  readonly cpu: ReadonlyArray<{ readonly region: string; readonly cpuSeconds: number }>;
  /** Fraction of the whole machine busy over the window (PostgreSQL and Kafka included). */
  readonly machineBusy: number;
}

/** Lets `seconds` pass with no writes and reads each replicator's CPU time before and after. */
export async function measureIdle(
  procs: readonly BenchReplicator[],
  seconds: number,
): Promise<IdleCost> {
  const before = procs.map((p) => p.cpuSeconds());
  const machine0 = machineCpu();
  const t0 = performance.now();
  await sleep(seconds * 1000); // the window itself: nothing to poll for
  const elapsed = (performance.now() - t0) / 1000;
  return {
    seconds: elapsed,
    cpu: procs.map((p, i) => ({ region: p.region, cpuSeconds: p.cpuSeconds() - (before[i] ?? 0) })),
    machineBusy: busyBetween(machine0, machineCpu()),
  };
}

const share = (cpuSeconds: number, seconds: number): string =>
  `${((cpuSeconds / seconds) * 100).toFixed(1)}%`;

export function idleLines(idle: IdleCost): string[] {
  const mean = idle.cpu.reduce((a, c) => a + c.cpuSeconds, 0) / Math.max(1, idle.cpu.length);
  return [
    `  idle cost (${idle.seconds.toFixed(0)} s with no writes, after the drain): mean ${share(mean, idle.seconds)} of one core per replicator; machine ${(idle.machineBusy * 100).toFixed(0)}% busy`,
    ...idle.cpu.map(
      (c) => `    replicator ${c.region}: ${share(c.cpuSeconds, idle.seconds)} of one core`,
    ),
  ];
}
