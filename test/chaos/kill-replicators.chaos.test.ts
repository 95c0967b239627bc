import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroundTruth, runFleet, seededRandom } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { waitFor } from "@georep/testkit";
import { chaosRegions } from "./chaos-regions.ts";
import type { ChaosRegions } from "./chaos-regions.ts";
import { killWhileWriting } from "./kill-loop.ts";
import { regionsExact } from "./exact-regions.ts";

/**
 * Chaos: replicator processes are SIGKILLed at random moments while every region takes
 * writes, then restarted. Afterwards every region must be identical and every counter exact.
 * On the secure stack (chaos-regions.ts, `secure`): every link secured as in production.
 */
describe("chaos: kill -9 of replicators during writes", () => {
  const { seed } = propertyConfig();
  const random = seededRandom(seed);
  let chaos: ChaosRegions;

  beforeAll(async () => {
    chaos = await chaosRegions({ stack: "secure", prefix: "k" });
    for (const r of chaos.regions) await r.proc.start();
  });

  afterAll(async () => chaos.close());

  it(`loses and double-counts nothing (seed ${seed})`, async () => {
    const { regions } = chaos;
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
    const kills = await killWhileWriting({ regions, random, phase, maxKills: 6 });
    await writers;
    await waitFor(() => regionsExact(regions, truth), {
      description: `regions identical with exact totals after ${kills} kills (seed ${seed})`,
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    expect(kills).toBeGreaterThan(0);
  });
});
