// The lag an operator alerts on, read from a real georep.progress table and a real topic: one
// stuck partition is its origin's lag (it used to follow the freshest partition, so one stuck
// partition read green), and consumer lag counts the records Kafka holds beyond the progress.
import pg from "pg";
import { expect, it } from "vitest";
import { originTopic } from "@georep/contract";
import { startConsumerLagMetrics } from "@georep/merger";
import {
  createHousekeeping,
  createMergerMetrics,
  createProgressStore,
} from "@georep/merger/testing";
import { createMetrics, silentLogger } from "@georep/observability";
import { createTestTopic, readEndpoints, useCleanups } from "@georep/testkit";
import { itemsSpec, produce, setupRegionDb, testRegions } from "../merge/helpers.ts";

const defer = useCleanups();

/** Writes the progress row of one partition, as a merge transaction would. */
async function progressRow(
  client: pg.Client,
  at: { topic: string; partition: number; origin: string; offset: number; ageMs: number },
): Promise<void> {
  await client.query(
    `INSERT INTO georep.progress (topic, partition, origin, kafka_offset, source_commit_time, applied_at)
     VALUES ($1, $2, $3, $4, clock_timestamp() - make_interval(secs => $5::float8 / 1000), clock_timestamp())`,
    [at.topic, at.partition, at.origin, at.offset, at.ageMs],
  );
}

const gauge = (text: string, series: string): number =>
  Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);

async function setup(prefix: string) {
  const [origin, target] = testRegions(2) as [string, string];
  const db = await setupRegionDb("us-east", prefix, target, [origin, target], [itemsSpec(prefix)]);
  defer(() => db.close());
  const pool = new pg.Pool({ connectionString: db.db.url, max: 2 });
  defer(() => pool.end());
  return { origin, target, db, pool, topic: originTopic(origin) };
}

it("reads an origin's lag from its worst partition, whichever worker applied it", async () => {
  const s = await setup("ops_lag");
  await progressRow(s.db.client, { ...s, partition: 0, offset: 40, ageMs: 1_000 });
  await progressRow(s.db.client, { ...s, partition: 1, offset: 7, ageMs: 600_000 });
  const metrics = createMetrics();
  const housekeeping = createHousekeeping({
    pool: s.pool,
    progress: createProgressStore(s.pool, [s.topic]),
    metrics: createMergerMetrics(metrics),
    clock: () => Date.now(),
    log: silentLogger(),
  });
  await housekeeping.refreshLag();
  const text = await metrics.render();
  const origin = gauge(text, `georep_replication_lag_seconds{origin="${s.origin}"}`);
  expect(origin).toBeGreaterThanOrEqual(600);
  expect(origin).toBeLessThan(700);
  expect(
    gauge(
      text,
      `georep_partition_lag_seconds{origin="${s.origin}",topic="${s.topic}",partition="0"}`,
    ),
  ).toBeLessThan(60);
  expect(housekeeping.lagSeconds()[s.origin]).toBeGreaterThanOrEqual(600);
});

it("exports consumer lag in records: the topic's end minus the applied offset", async () => {
  const s = await setup("ops_backlog");
  const topic = await createTestTopic(s.topic, 2);
  defer(() => topic.delete());
  // Round-robin: offsets 0-4 on partition 0, 0-3 on partition 1.
  await produce(
    s.topic,
    Array.from({ length: 9 }, (_v, i) => ({ key: `k${i}`, value: Buffer.from("{}") })),
    2,
  );
  // Partition 0 applied through offset 1 (3 records to go); partition 1 never applied (4).
  await progressRow(s.db.client, { ...s, partition: 0, offset: 1, ageMs: 0 });
  const metrics = createMetrics();
  const lag = startConsumerLagMetrics({
    region: s.target,
    regions: [{ id: s.origin }, { id: s.target }],
    pgUrl: s.db.db.url,
    kafka: { brokers: readEndpoints().kafka.brokers },
    metrics,
    logger: silentLogger(),
  });
  defer(() => lag.stop());
  await lag.refresh();
  const text = await metrics.render();
  const series = (p: number) =>
    `georep_consumer_lag_records{origin="${s.origin}",topic="${s.topic}",partition="${p}"}`;
  expect(gauge(text, series(0))).toBe(3);
  expect(gauge(text, series(1))).toBe(4);
});
