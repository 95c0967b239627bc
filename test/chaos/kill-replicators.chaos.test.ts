import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroundTruth, runFleet, seededRandom } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import {
  devKafka,
  createTestDatabase,
  readEndpoints,
  replicatorProcess,
  uniqueName,
  waitFor,
} from "@georep/testkit";
import type { ReplicatorProcess, TestDatabase } from "@georep/testkit";
import { killWhileWriting } from "./kill-loop.ts";
import { regionsExact } from "./exact-regions.ts";

/**
 * Chaos: replicator processes are SIGKILLed at random moments while every region takes
 * writes, then restarted. Afterwards every region must be identical and every counter exact.
 */
describe("chaos: kill -9 of replicators during writes", () => {
  const { seed } = propertyConfig();
  const random = seededRandom(seed);
  const regions: Array<{ id: string; db: TestDatabase; pool: pg.Pool; proc: ReplicatorProcess }> =
    [];

  beforeAll(async () => {
    const endpoints = readEndpoints();
    const tag = uniqueName("c").replaceAll("_", "").slice(-8);
    const ids = endpoints.regions.map((r) => `k${tag}-${r.id}`.slice(0, 31));
    for (const [i, cluster] of endpoints.regions.entries()) {
      const id = ids[i] ?? "";
      const db = await createTestDatabase(cluster.id, "chaos");
      const proc = replicatorProcess(id, {
        region: id,
        regions: ids.map((x) => ({ id: x })),
        postgres: { url: db.url },
        kafka: devKafka(endpoints.kafka.brokers),
        tables: ["counting_results"],
      });
      regions.push({ id, db, pool: new pg.Pool({ connectionString: db.url, max: 4 }), proc });
    }
    for (const r of regions) await r.proc.start();
  });

  afterAll(async () => {
    for (const r of regions) await r.proc.stop();
    for (const r of regions) {
      await r.pool.end();
      await r.db.drop();
    }
  });

  it(`loses and double-counts nothing (seed ${seed})`, async () => {
    const truth = new GroundTruth();
    const cameraIds = ["cam-1", "cam-2", "cam-3", "cam-4", "cam-5"];
    const buckets = ["2026-11-22T10:00:00.000Z", "2026-11-22T11:00:00.000Z"];
    const phase = { writing: true };
    const writers = Promise.all(
      regions.map((r, i) =>
        runFleet(
          {
            region: r.id,
            pool: r.pool,
            cameraIds,
            buckets,
            concurrency: 2,
            random: seededRandom(seed + i),
          },
          400,
          truth,
        ),
      ),
    ).finally(() => {
      phase.writing = false;
    });
    const kills = await killWhileWriting({ regions: regions, random, phase, maxKills: 6 });
    await writers;
    await waitFor(() => regionsExact(regions, truth), {
      description: `regions identical with exact totals after ${kills} kills (seed ${seed})`,
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    expect(kills).toBeGreaterThan(0);
  });
});
