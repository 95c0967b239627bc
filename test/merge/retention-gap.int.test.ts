// Records deleted by Kafka's retention before a region read them: the region's merger detects
// the gap, counts and records it, merges what follows, and its repair watcher repairs the region
// from the gap's origin, so every region ends with exact totals. Three regions, real broker:
// the origin's topic gets a retention of a second while one region is stopped, the broker really
// deletes the records (log.retention.check.interval.ms is 2 s on the development broker), then
// the stopped region starts again.
import pg from "pg";
import { ConfigResourceTypes } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroundTruth, runFleet, seededRandom } from "@georep/camera-service";
import { MAX_MESSAGE_BYTES, originTopic } from "@georep/contract";
import { propertyConfig } from "@georep/crdt/testing";
import { topicConfigEntries, topicSettingsSchema } from "@georep/kafka";
import { createLogger, createMetrics, systemClock } from "@georep/observability";
import type { Metrics } from "@georep/observability";
import { createReplicator, parseReplicatorConfig } from "@georep/replicator";
import type { Replicator } from "@georep/replicator";
import { countingResultsSpec, parseTableSpec, stateLayout } from "@georep/schema";
import {
  devKafka,
  createTestDatabase,
  readEndpoints,
  testKafka,
  uniqueName,
  waitFor,
} from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { verifyRegions } from "@georep/verify";

const layouts = [stateLayout(parseTableSpec(countingResultsSpec))];
const PARTITIONS = 6;

interface Region {
  readonly id: string;
  readonly db: TestDatabase;
  readonly pool: pg.Pool;
  metrics: Metrics;
  replicator: Replicator;
}

const endpoints = readEndpoints();
const tag = uniqueName("g").replaceAll("_", "").slice(-8);
const ids = endpoints.regions.map((r) => `gap-${tag}-${r.id}`.slice(0, 31));
const regions: Region[] = [];

function replicator(id: string, db: TestDatabase, metrics: Metrics): Replicator {
  return createReplicator({
    config: parseReplicatorConfig({
      region: id,
      regions: ids.map((x) => ({ id: x })),
      postgres: { url: db.url },
      peers: regions
        .filter((r) => r.id !== id)
        .map((r) => ({ region: r.id, postgres: { url: r.db.url } })),
      repairCheckIntervalMs: 500,
      kafka: { ...devKafka(endpoints.kafka.brokers), partitions: PARTITIONS },
      tables: ["counting_results"],
    }),
    logger: createLogger({ name: id, level: "error" }),
    metrics,
    clock: systemClock,
  });
}

async function peopleIn(pool: pg.Pool): Promise<bigint> {
  const { rows } = await pool.query<{ s: string }>(
    "SELECT coalesce(sum(people_in), 0)::text AS s FROM counting_results",
  );
  return BigInt(rows[0]?.s ?? "-1");
}

/** Camera writes in `writers`, on cameras of this round only (later writes never carry them). */
function writeRound(writers: readonly Region[], round: number, truth: GroundTruth, seed: number) {
  return Promise.all(
    writers.map((r, i) =>
      runFleet(
        {
          region: r.id,
          pool: r.pool,
          cameraIds: Array.from({ length: 6 }, (_v, c) => `cam-${round}-${i}-${c}`),
          buckets: ["2026-11-22T10:00:00.000Z"],
          concurrency: 2,
          random: seededRandom(seed + 10 * round + i),
        },
        60,
        truth,
      ),
    ),
  );
}

async function converged(truth: GroundTruth, description: string): Promise<void> {
  const want = truth.total().peopleIn;
  await waitFor(
    async () => {
      const totals = await Promise.all(regions.map((r) => peopleIn(r.pool)));
      if (!totals.every((t) => t === want)) return false;
      const report = await verifyRegions(
        regions.map((r) => ({ region: r.id, pool: r.pool })),
        layouts,
      );
      return report.identical;
    },
    { description, timeoutMs: 90_000, intervalMs: 250 },
  );
}

/** Low and high offsets of every partition of `topic`. */
async function offsets(topic: string): Promise<Map<number, { low: bigint; high: bigint }>> {
  const admin = testKafka("georep-gap-test").admin();
  await admin.connect();
  try {
    const rows = await admin.fetchTopicOffsets(topic);
    return new Map(
      rows.map((r) => [r.partition, { low: BigInt(r.low), high: BigInt(r.high) }] as const),
    );
  } finally {
    await admin.disconnect();
  }
}

/** Replaces the topic's own settings (kafkajs' AlterConfigs resets what it is not given). */
async function setTopicConfig(
  topic: string,
  entries: ReadonlyArray<{ name: string; value: string }>,
) {
  const admin = testKafka("georep-gap-test").admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: entries.map(({ name, value }) => ({ name, value })),
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/** Next offset to apply per partition of `topic`, from the region's georep.progress. */
async function progressNext(pool: pg.Pool, topic: string): Promise<Map<number, bigint>> {
  const { rows } = await pool.query<{ partition: number; next: string }>(
    "SELECT partition, (kafka_offset + 1)::text AS next FROM georep.progress WHERE topic = $1",
    [topic],
  );
  return new Map(rows.map((r) => [r.partition, BigInt(r.next)]));
}

function metricValue(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("records deleted by retention before a region read them", () => {
  beforeAll(async () => {
    for (const [i, cluster] of endpoints.regions.entries()) {
      const id = ids[i] ?? "";
      const db = await createTestDatabase(cluster.id, "retention_gap");
      regions.push({
        id,
        db,
        pool: new pg.Pool({ connectionString: db.url, max: 4 }),
        metrics: createMetrics(),
        replicator: undefined as unknown as Replicator,
      });
    }
    // Peers are known once every database exists.
    for (const r of regions) {
      r.replicator = replicator(r.id, r.db, r.metrics);
      await r.replicator.start();
    }
  });
  afterAll(async () => {
    for (const r of regions) await r.replicator.stop();
    for (const r of regions) {
      await r.pool.end();
      await r.db.drop();
    }
  });

  it("detects, counts and records the gap, repairs it from the origin, and every total is exact", async () => {
    const { seed } = propertyConfig();
    const [origin, lagging] = regions as [Region, Region, Region];
    const topic = originTopic(origin.id);
    const truth = new GroundTruth();
    const started = performance.now();

    await writeRound(regions, 1, truth, seed);
    await converged(truth, "every region holds round 1");
    // Heartbeats reach every partition within 5 s: the lagging region has a position in each.
    await waitFor(async () => (await progressNext(lagging.pool, topic)).size === PARTITIONS, {
      description: "the lagging region has progress on every partition of the origin's topic",
      timeoutMs: 30_000,
    });

    await lagging.replicator.stop();
    const stoppedAt = performance.now();
    const next = await progressNext(lagging.pool, topic);
    await setTopicConfig(topic, [
      { name: "retention.ms", value: "1000" },
      { name: "segment.ms", value: "200" },
      { name: "max.message.bytes", value: String(MAX_MESSAGE_BYTES) },
    ]);
    // Round 2 while the lagging region is stopped: the origin's records of it are deleted.
    const others = regions.filter((r) => r !== lagging);
    await writeRound(others, 2, truth, seed);
    const written = await offsets(topic);
    await waitFor(
      async () => {
        const now = await offsets(topic);
        return [...written].every(([p, o]) => (now.get(p)?.low ?? 0n) >= o.high);
      },
      {
        description: "the broker deleted every record of round 2 from the origin's topic",
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    // Back to georep's settings before the region reads again: nothing more is deleted.
    await setTopicConfig(
      topic,
      topicConfigEntries(topicSettingsSchema.parse({}), MAX_MESSAGE_BYTES),
    );
    const low = await offsets(topic);
    const expected = [...next]
      .filter(([p, n]) => (low.get(p)?.low ?? 0n) > n)
      .map(([p, n]) => ({ partition: p, from: n, to: (low.get(p)?.low ?? 0n) - 1n }))
      .sort((a, b) => a.partition - b.partition);
    expect(expected.length).toBeGreaterThan(0);
    const deletedRecords = expected.reduce((s, g) => s + Number(g.to - g.from + 1n), 0);
    const stoppedSeconds = (performance.now() - stoppedAt) / 1000;

    const restartedAt = performance.now();
    lagging.metrics = createMetrics();
    lagging.replicator = replicator(lagging.id, lagging.db, lagging.metrics);
    await lagging.replicator.start();
    await writeRound(regions, 3, truth, seed);
    await converged(truth, "every region holds every round, the deleted records repaired");
    const exactSeconds = (performance.now() - restartedAt) / 1000;

    // A partition's gap shows with its first record after the restart (heartbeats: within 5 s).
    const recorded = async () => {
      const { rows } = await lagging.pool.query<{
        origin: string;
        topic: string;
        partition: number;
        from_offset: string;
        to_offset: string;
      }>(
        "SELECT origin, topic, partition, from_offset, to_offset FROM georep.gaps ORDER BY partition",
      );
      return rows.map((r) => ({
        origin: r.origin,
        topic: r.topic,
        partition: r.partition,
        from: BigInt(r.from_offset),
        to: BigInt(r.to_offset),
      }));
    };
    const want = expected.map((g) => ({ origin: origin.id, topic, ...g }));
    await waitFor(async () => (await recorded()).length >= want.length, {
      description: "a gap recorded for every partition whose records were deleted unread",
      timeoutMs: 30_000,
    });
    expect(await recorded()).toEqual(want);
    await waitFor(
      async () => {
        const { rows: open } = await lagging.pool.query(
          "SELECT 1 FROM georep.gaps WHERE repaired_at IS NULL",
        );
        const text = await lagging.metrics.render();
        return (
          open.length === 0 &&
          metricValue(text, `georep_merge_gaps_unrepaired{origin="${origin.id}"}`) === 0
        );
      },
      { description: "the gaps marked repaired and the gauge back to 0", timeoutMs: 30_000 },
    );
    const text = await lagging.metrics.render();
    expect(metricValue(text, `georep_merge_gap_records_total{origin="${origin.id}"}`)).toBe(
      deletedRecords,
    );
    // Nobody else missed anything.
    for (const r of others) {
      const { rows: theirs } = await r.pool.query("SELECT 1 FROM georep.gaps");
      expect(theirs).toHaveLength(0);
    }
    console.log(
      `retention gap: ${expected.length} partitions, ${deletedRecords} records deleted unread; region stopped ${stoppedSeconds.toFixed(1)} s; exact everywhere ${exactSeconds.toFixed(1)} s after its restart; test ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
