// One measurement of the workers bench: a region's merge on N worker processes applying the
// workload's backlog, timed with the consumer group already formed and every worker warm.
//
//   N workers start on the empty topic ──group Stable, N members, 6 partitions held──▶
//   one warm-up envelope per partition, merged ──▶ SIGSTOP all ──▶ whole backlog produced ──▶
//   SIGCONT all (clock starts) ──▶ progress table shows every envelope (clock stops)
import { countingResultsSpec } from "@georep/schema";
import { readEndpoints, waitFor } from "@georep/testkit";
import { PARTITIONS, rowsEnvelope, withApplyTarget } from "./apply-target.ts";
import type { ApplyTarget, Routed } from "./apply-target.ts";
import type { Workload } from "./apply-workload.ts";
import { incrementSlice } from "./apply-workload.ts";
import { busyBetween } from "./machine.ts";
import { startMergeWorker } from "./merge-worker-process.ts";
import type { MergeWorkerProcess } from "./merge-worker-process.ts";
import { deleteGroup, formedGroup, mergeGroupId, waitForGroup } from "./merge-group.ts";
import { clockTicks, machineCpu } from "./proc-cpu.ts";

export interface WorkersRate {
  readonly workers: number;
  readonly changesPerSecond: number;
  readonly seconds: number;
  /** From SIGCONT to the backlog's first committed merge: wake-up, fetch and a first group transaction. */
  readonly firstBatchSeconds: number;
  /** Each worker's CPU over the timed interval, in % of one core. */
  readonly workersCpu: readonly number[];
  /** Partitions each worker held, most first. */
  readonly split: readonly number[];
  /** Fraction of the whole machine busy over the timed interval (every process, others' too). */
  readonly machineBusy: number;
  /** The group's members or partitions changed during the timed interval (a rebalance is in the figure). */
  readonly regrouped: boolean;
}

/**
 * One envelope per partition, each setting people_out on a key of its own: its merge proves the
 * partition is positioned and consumed, and takes each worker's first-batch costs (connections,
 * prepared statements, JIT) out of the timed interval. people_in, which the check sums, is untouched.
 */
const warmUp = (origin: string): Routed[] =>
  Array.from({ length: PARTITIONS }, (_v, p) => ({
    partition: p,
    envelope: rowsEnvelope(origin, [{ ...incrementSlice(p, 0), counters: { people_out__p: "1" } }]),
  }));

const allApplied = (t: ApplyTarget, messages: number, description: string): Promise<unknown> =>
  waitFor(async () => (await t.applied()) === messages, {
    description,
    timeoutMs: 600_000,
    intervalMs: 5,
  });

async function timedBacklog(
  t: ApplyTarget,
  w: Workload,
  procs: readonly MergeWorkerProcess[],
): Promise<WorkersRate> {
  const groupId = mergeGroupId(t.region);
  const formed = await waitForGroup(groupId, t.topic, PARTITIONS, procs.length);
  await t.produce(warmUp(t.origin));
  await allApplied(t, PARTITIONS, "the warm-up envelopes merged");
  const sameGroup = async (): Promise<boolean> =>
    (await formedGroup(groupId, t.topic, PARTITIONS, procs.length))?.line === formed.line;
  if (!(await sameGroup())) throw new Error(`consumer group ${groupId} changed during the warm-up`);
  for (const p of procs) p.pause();
  await t.produce(t.envelopes);
  const cpu0 = procs.map((p) => p.cpuTicks());
  const machine0 = machineCpu();
  const started = performance.now();
  for (const p of procs) p.resume();
  await waitFor(async () => (await t.applied()) > PARTITIONS, {
    description: "the backlog's first merged batch",
    timeoutMs: 60_000,
    intervalMs: 2,
  });
  const firstBatchSeconds = (performance.now() - started) / 1000;
  await allApplied(t, PARTITIONS + t.envelopes.length, "every envelope merged");
  const seconds = (performance.now() - started) / 1000;
  const cpu = procs.map((p, i) => p.cpuTicks() - (cpu0[i] ?? 0));
  const machineBusy = busyBetween(machine0, machineCpu());
  const regrouped = !(await sameGroup());
  await t.checkTotal();
  return {
    workers: procs.length,
    changesPerSecond: w.changes / seconds,
    seconds,
    firstBatchSeconds,
    workersCpu: cpu.map((ticks) => (100 * ticks) / clockTicks() / seconds),
    split: formed.split,
    machineBusy,
    regrouped,
  };
}

/**
 * The apply rate of `w`'s backlog on `workers` merge worker processes, on a target of its own
 * (apply-target.ts). Workers, group, database and topic are gone afterwards, also on failure.
 * @throws Error when a worker fails to start, the group does not form, or the total is wrong.
 */
export const workersApplyRate = (w: Workload, workers: number): Promise<WorkersRate> =>
  withApplyTarget(w, async (t) => {
    const config = {
      region: t.region,
      pgUrl: t.pgUrl,
      brokers: readEndpoints().kafka.brokers,
      regions: t.regions,
      tables: [countingResultsSpec],
      options: {
        // A worker stopped for the backlog's production (seconds) stays in the group.
        sessionTimeoutMs: 60_000,
        // The topic exists; a dead-letter topic would be left behind in Kafka.
        ensureTopics: false,
      },
    };
    const procs: MergeWorkerProcess[] = [];
    try {
      // One after another: a worker that fails to start leaves only the earlier ones to stop.
      for (let i = 0; i < workers; i++) procs.push(await startMergeWorker(config));
      return await timedBacklog(t, w, procs);
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
      await deleteGroup(mergeGroupId(t.region)).catch((error: unknown) => {
        process.stderr.write(`could not delete the consumer group: ${String(error)}\n`);
      });
    }
  });
