// The whole pipeline once over WAN delays: three regions, each on its own Kafka cluster, each
// reaching the others' clusters through delaying proxies with the seeds' one-way delays
// (test/chaos/region-kafka.ts: 38 ms us-east↔eu-west, 91 ms us-east↔ap-south, 65 ms
// eu-west↔ap-south). Concurrent counter and register writes everywhere converge exactly.
import { afterAll, beforeAll, expect, it } from "vitest";
import { GroundTruth } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { scalar, waitFor } from "@georep/testkit";
import type { ChaosRegion } from "../chaos/chaos-regions.ts";
import { writeRound } from "../chaos/chaos-regions.ts";
import { regionsExact } from "../chaos/exact-regions.ts";
import { SEED_ONE_WAY_MS, seedOneWayMs, regionsOnOwnClusters } from "../chaos/region-kafka.ts";
import type { RegionsOnOwnClusters } from "../chaos/region-kafka.ts";

let world: RegionsOnOwnClusters | undefined;
let regions: readonly ChaosRegion[] = [];

beforeAll(async () => {
  world = await regionsOnOwnClusters({
    prefix: "wan",
    oneWayMs: seedOneWayMs,
  });
  regions = world.regions;
  await Promise.all(regions.map((r) => r.proc.start()));
});

afterAll(async () => world?.close());

it("converges exactly with per-region clusters reached over WAN delays", async () => {
  const { seed } = propertyConfig();
  const truth = new GroundTruth();
  const started = performance.now();
  await Promise.all([
    writeRound(regions, { seed, round: 1, operations: 120, cameras: 4, truth }),
    // Register writes racing on one row in every region.
    ...regions.map(async (r) => {
      await r.pool.query(
        "INSERT INTO counting_results (camera_id, bucket, status) VALUES ('race', '2026-11-22T10:00:00Z', 'new') ON CONFLICT DO NOTHING",
      );
      for (let n = 0; n < 20; n++)
        await r.pool.query("UPDATE counting_results SET status = $1 WHERE camera_id = 'race'", [
          `${r.id}-${n}`,
        ]);
    }),
  ]);
  await waitFor(() => regionsExact(regions, truth), {
    description: "three regions identical with exact totals over WAN delays",
    timeoutMs: 120_000,
    intervalMs: 250,
  });
  // The mergers read each other's clusters through the proxies (metadata names the proxies, so
  // no client went around them), and the lag they measured includes the delay.
  expect(world?.kafka.proxyConnections()).toBeGreaterThan(0);
  const texts = await Promise.all(regions.map((r) => r.proc.scrape()));
  const lag = (suffix: string): number =>
    texts.reduce((n, t) => n + scalar(t, `georep_end_to_end_lag_seconds_${suffix}`), 0);
  const meanMs = (lag("sum") / lag("count")) * 1000;
  const shortest = Math.min(...Object.values(SEED_ONE_WAY_MS));
  expect(meanMs).toBeGreaterThan(shortest);
  console.log(
    `WAN e2e: converged ${((performance.now() - started) / 1000).toFixed(1)} s after the writes began; mean end-to-end lag ${meanMs.toFixed(0)} ms over ${lag("count")} merged slices (one-way delays ${Object.entries(
      SEED_ONE_WAY_MS,
    )
      .map(([k, v]) => `${k} ${v} ms`)
      .join(", ")})`,
  );
});
