import pg from "pg";
import { afterAll, beforeAll, describe, it } from "vitest";
import { GroundTruth, runFleet, seededRandom } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import {
  createTestDatabase,
  freePort,
  readEndpoints,
  replicatorProcess,
  scalar,
  uniqueName,
  waitFor,
} from "@georep/testkit";
import type { ReplicatorProcess, TestDatabase } from "@georep/testkit";
import { regionsExact } from "./exact-regions.ts";

/**
 * Issue 15, part 4: a region's merge runs on two processes (its replicator and a merge worker,
 * role "merge", in one consumer group that splits the partitions). The worker is SIGKILLed
 * mid-stream while both regions write; its partitions pass to the replicator after the session
 * timeout, and every total is exact.
 */
describe("chaos: kill -9 of one of a region's two merge workers", () => {
  const { seed } = propertyConfig();
  const regions: Array<{ id: string; db: TestDatabase; pool: pg.Pool; proc: ReplicatorProcess }> =
    [];
  let worker: ReplicatorProcess;
  const merge = { sessionTimeoutMs: 6_000 };

  beforeAll(async () => {
    const endpoints = readEndpoints();
    const tag = uniqueName("w").replaceAll("_", "").slice(-8);
    const clusters = endpoints.regions.slice(0, 2);
    const ids = clusters.map((r) => `w${tag}-${r.id}`.slice(0, 31));
    const base = (id: string, url: string) => ({
      region: id,
      regions: ids.map((x) => ({ id: x })),
      postgres: { url },
      kafka: { brokers: endpoints.kafka.brokers },
      tables: ["counting_results"],
      merge,
    });
    for (const [i, cluster] of clusters.entries()) {
      const id = ids[i] ?? "";
      const db = await createTestDatabase(cluster.id, "workers");
      const proc = replicatorProcess(id, { ...base(id, db.url), http: { port: await freePort() } });
      regions.push({ id, db, pool: new pg.Pool({ connectionString: db.url, max: 4 }), proc });
    }
    const second = regions[1];
    if (second === undefined) throw new Error("two regions expected");
    worker = replicatorProcess(`${second.id}-w2`, {
      ...base(second.id, second.db.url),
      role: "merge",
      http: { port: await freePort() },
    });
    for (const r of regions) await r.proc.start();
    await worker.start();
  });

  afterAll(async () => {
    await worker.stop();
    for (const r of regions) await r.proc.stop();
    for (const r of regions) {
      await r.pool.end();
      await r.db.drop();
    }
  });

  it(`loses and double-counts nothing (seed ${seed})`, async () => {
    const truth = new GroundTruth();
    const write = (round: number, operations: number) =>
      Promise.all(
        regions.map((r, i) =>
          runFleet(
            {
              region: r.id,
              pool: r.pool,
              // A camera's counters are cumulative per fleet run: each round has cameras of its own.
              cameraIds: [1, 2, 3, 4, 5, 6].map((c) => `cam-${round}-${c}`),
              buckets: ["2026-11-22T10:00:00.000Z", "2026-11-22T11:00:00.000Z"],
              concurrency: 2,
              random: seededRandom(seed + 10 * round + i),
            },
            operations,
            truth,
          ),
        ),
      );
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
