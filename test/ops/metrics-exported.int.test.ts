// Issue 11, part 4: every metric the shipped rules and dashboard query is on a live replicator's
// /metrics, as production runs it (one OS process per region, real PostgreSQL and Kafka).
// Counters with labels are exported at 0 for every label value, so "present" does not depend
// on an event having happened during the test.
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  createTestDatabase,
  freePort,
  readEndpoints,
  replicatorProcess,
  uniqueName,
  waitFor,
} from "@georep/testkit";
import type { ReplicatorProcess, TestDatabase } from "@georep/testkit";
import { queriedMetrics, sampleNames } from "./queried-metrics.ts";

const regions: Array<{ id: string; db: TestDatabase; pool: pg.Pool; proc: ReplicatorProcess }> = [];

beforeAll(async () => {
  const endpoints = readEndpoints();
  const tag = uniqueName("m").replaceAll("_", "").slice(-8);
  const clusters = endpoints.regions.slice(0, 2);
  const ids = clusters.map((r) => `m${tag}-${r.id}`.slice(0, 31));
  for (const [i, cluster] of clusters.entries()) {
    const id = ids[i] ?? "";
    const db = await createTestDatabase(cluster.id, "ops_metrics");
    const proc = replicatorProcess(id, {
      region: id,
      regions: ids.map((x) => ({ id: x })),
      postgres: { url: db.url },
      kafka: { brokers: endpoints.kafka.brokers },
      tables: ["counting_results"],
      http: { port: await freePort() },
    });
    regions.push({ id, db, pool: new pg.Pool({ connectionString: db.url, max: 2 }), proc });
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

it("exports every metric the alert rules and the Grafana dashboard query", async () => {
  // A merged row makes the end-to-end histogram; the quarantine gauges come with the first
  // replay pass (deferredRetryIntervalMs, 5 s).
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
