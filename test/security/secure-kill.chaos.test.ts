// Chaos with every link secured (secure-world.ts): replicator processes are SIGKILLed at random
// moments while every region takes writes, then restarted. Afterwards every region must be
// identical and every counter exact, as on the plain stack (test/chaos/kill-replicators).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroundTruth, runFleet, seededRandom } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { waitFor } from "@georep/testkit";
import { killWhileWriting } from "../chaos/kill-loop.ts";
import { regionsExact } from "../chaos/exact-regions.ts";
import { startSecureRegions } from "./secure-world.ts";
import type { SecureWorld } from "./secure-world.ts";

describe("chaos, secured: kill -9 of replicators during writes", () => {
  const { seed } = propertyConfig();
  const random = seededRandom(seed);
  let world: SecureWorld;

  beforeAll(async () => {
    world = await startSecureRegions("seck");
  }, 240_000);
  afterAll(async () => world.close());

  it(`loses and double-counts nothing (seed ${seed})`, async () => {
    const truth = new GroundTruth();
    const phase = { writing: true };
    const writers = Promise.all(
      world.regions.map((r, i) =>
        runFleet(
          {
            region: r.id,
            pool: r.pool,
            cameraIds: ["cam-1", "cam-2", "cam-3", "cam-4"],
            buckets: ["2026-12-02T10:00:00.000Z", "2026-12-02T11:00:00.000Z"],
            concurrency: 2,
            random: seededRandom(seed + i),
          },
          250,
          truth,
        ),
      ),
    ).finally(() => {
      phase.writing = false;
    });
    const kills = await killWhileWriting({ regions: world.regions, random, phase, maxKills: 3 });
    await writers;
    const regions = world.regions.map((r) => ({ id: r.id, pool: r.pool }));
    await waitFor(() => regionsExact(regions, truth), {
      description: `regions identical with exact totals after ${kills} kills (seed ${seed})`,
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    expect(kills).toBeGreaterThan(0);
  });
});
