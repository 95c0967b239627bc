// Issue 11, part 4: every metric the shipped rules and dashboard query is on a live replicator's
// /metrics, as production runs it (one OS process per region, real PostgreSQL and Kafka).
// Counters with labels are exported at 0 for every label value, so "present" does not depend
// on an event having happened during the test.
import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "@georep/testkit";
import { chaosRegions } from "../chaos/chaos-regions.ts";
import type { ChaosRegions } from "../chaos/chaos-regions.ts";
import { queriedMetrics, sampleNames } from "./queried-metrics.ts";

let set: ChaosRegions;

beforeAll(async () => {
  set = await chaosRegions({ stack: "plain", prefix: "m", count: 2 });
  for (const r of set.regions) await r.proc.start();
});

afterAll(async () => {
  await set.close();
});

it("exports every metric the alert rules and the Grafana dashboard query", async () => {
  // A merged row makes the end-to-end histogram; the quarantine gauges come with the first
  // replay pass (deferredRetryIntervalMs, 5 s).
  const { regions } = set;
  for (const r of regions)
    await r.pool.query(
      "INSERT INTO counting_results (camera_id, bucket, status, home_region) VALUES ($1, now(), 'ok', $2)",
      [`cam-${r.id}`, r.id],
    );
  const wanted = queriedMetrics();
  let missing: string[] = [];
  await waitFor(
    async () => {
      const live = new Set<string>();
      for (const r of regions) for (const n of sampleNames(await r.proc.scrape())) live.add(n);
      missing = wanted.filter((n) => !live.has(n));
      return missing.length === 0;
    },
    { description: "every queried metric on /metrics", timeoutMs: 60_000, intervalMs: 1_000 },
  ).catch(() => undefined);
  expect(missing, "metrics the rules or the dashboard query that no replicator exports").toEqual(
    [],
  );
});
