import { afterAll, beforeAll, describe, it } from "vitest";
import { GroundTruth } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { replicatorProcess, scalar, waitFor } from "@georep/testkit";
import type { ReplicatorProcess } from "@georep/testkit";
import { chaosRegions, writeRound } from "./chaos-regions.ts";
import type { ChaosRegions } from "./chaos-regions.ts";
import { regionsExact } from "./exact-regions.ts";

/**
 * On the secure stack (chaos-regions.ts, `secure`): the worker logs in as its region's merge role
 * and Kafka principal, like the replicator.
 *
 * Issue 15, part 4: a region's merge runs on two processes (its replicator and a merge worker,
 * role "merge", in one consumer group that splits the partitions). The worker is SIGKILLed
 * mid-stream while both regions write; its partitions pass to the replicator after the session
 * timeout, and every total is exact.
 */
describe("chaos: kill -9 of one of a region's two merge workers", () => {
  const { seed } = propertyConfig();
  let chaos: ChaosRegions;
  let worker: ReplicatorProcess;

  beforeAll(async () => {
    chaos = await chaosRegions({
      stack: "secure",
      prefix: "w",
      count: 2,
      extra: { merge: { sessionTimeoutMs: 6_000 } },
    });
    const second = chaos.regions[1];
    if (second === undefined) throw new Error("two regions expected");
    worker = replicatorProcess(`${second.id}-w2`, await chaos.config(second, { role: "merge" }));
    for (const r of chaos.regions) await r.proc.start();
    await worker.start();
  });

  afterAll(async () => {
    await worker.stop();
    await chaos.close();
  });

  it(`loses and double-counts nothing (seed ${seed})`, async () => {
    const { regions } = chaos;
    const truth = new GroundTruth();
    const write = (round: number, operations: number) =>
      writeRound(regions, { seed, round, operations, cameras: 6, truth });
    const before = write(0, 600);
    // The worker owns partitions and is merging when it dies.
    await waitFor(async () => scalar(await worker.scrape(), "georep_merge_batches_total") >= 5, {
      description: "the merge worker to merge its share of the partitions",
      timeoutMs: 60_000,
    });
    await worker.kill9();
    await before;
    // Writes after the kill land in the dead worker's partitions too: the replicator takes them
    // over once the group's session timeout passes.
    await write(1, 300);
    await waitFor(() => regionsExact(regions, truth), {
      description: `regions identical with exact totals after the worker's kill (seed ${seed})`,
      timeoutMs: 120_000,
      intervalMs: 500,
    });
  });
});
