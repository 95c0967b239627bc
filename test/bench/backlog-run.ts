// One catch-up of a backlog, in a fresh process so its memory is its own:
//   node --expose-gc --import tsx test/bench/backlog-run.ts <capture|merger> <changes>
// The backlog is built first (WAL for the capture, Kafka messages for the merger), the heap is
// collected, then the component starts and process memory is sampled until it has caught up.
// Prints one JSON line: { baselineRssMb, peakRssMb, peakLiveHeapMb, seconds }.
import pg from "pg";
import { encodeEnvelope, originTopic } from "@georep/contract";
import type { RowSlice } from "@georep/contract";
import { createMerger } from "@georep/merger";
import { createMetrics, silentLogger, systemClock } from "@georep/observability";
import { createCapture } from "@georep/capture";
import {
  countingResultsSpec,
  installSchema,
  parseInstallConfig,
  parseTableSpec,
} from "@georep/schema";
import {
  createTestDatabase,
  createTestTopic,
  readEndpoints,
  testKafka,
  uniqueName,
  waitFor,
} from "@georep/testkit";
import { incrementSlice, slicePartition } from "./apply-workload.ts";
import { appliedMessages } from "./apply-merger.ts";
import { setupRegionDb } from "../capture/helpers.ts";

export interface BacklogRun {
  readonly baselineRssMb: number;
  readonly peakRssMb: number;
  readonly peakLiveHeapMb: number;
  readonly seconds: number;
}

const MB = 1024 * 1024;
const spec = parseTableSpec(countingResultsSpec);
const regionName = (prefix: string): string =>
  `${prefix}${uniqueName("x").replace(/_/g, "-").slice(1, 24)}`.replace(/-+$/, "");

/**
 * Samples RSS every 10 ms and the live heap (after a full collection) every 250 ms while
 * `catchUp` runs: heapUsed alone would mostly measure how lazily V8 collects.
 */
async function measure(catchUp: () => Promise<void>): Promise<BacklogRun> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with node --expose-gc");
  gc();
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  let peakHeap = 0;
  const rss = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 10);
  const live = setInterval(() => {
    gc();
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 250);
  const started = performance.now();
  try {
    await catchUp();
  } finally {
    clearInterval(rss);
    clearInterval(live);
  }
  return {
    baselineRssMb: baselineRss / MB,
    peakRssMb: peakRss / MB,
    peakLiveHeapMb: peakHeap / MB,
    seconds: (performance.now() - started) / 1000,
  };
}

async function captureBacklog(changes: number): Promise<BacklogRun> {
  const r = await setupRegionDb("bench_backlog");
  try {
    // The slot first, so the WAL written below stays for the capture to catch up on.
    await r.client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [r.slot]);
    for (let done = 0; done < changes; done += 10_000) {
      await r.client.query(
        `INSERT INTO public.counting_results (camera_id, bucket, people_in, model_version)
         SELECT 'cam-' || g, '2026-01-01T00:00:00Z', 1, 'm1' FROM generate_series($1::int, $2::int) g`,
        [done, Math.min(changes, done + 10_000) - 1],
      );
    }
    // Production defaults: what is measured is the memory the shipped configuration needs.
    const capture = createCapture({
      region: r.region,
      pgUrl: r.db.url,
      slotName: r.slot,
      kafka: { brokers: readEndpoints().kafka.brokers },
      tables: [spec],
      logger: silentLogger(),
      metrics: createMetrics(),
      clock: systemClock,
    });
    return await measure(async () => {
      await capture.start();
      await waitFor(() => capture.status().coalescedIn >= changes, {
        description: "the WAL backlog shipped and acknowledged",
        timeoutMs: 600_000,
        intervalMs: 5,
      });
      await capture.stop();
    });
  } finally {
    await r.close();
  }
}

const PARTITIONS = 6;

/** Produces `changes` single-row-increment slices, 100 per envelope; returns the message count. */
async function produceBacklog(
  producer: ReturnType<ReturnType<typeof testKafka>["producer"]>,
  topic: string,
  origin: string,
  changes: number,
): Promise<number> {
  let messages = 0;
  for (let from = 0; from < changes; from += 20_000) {
    const byPartition: RowSlice[][] = Array.from({ length: PARTITIONS }, () => []);
    for (let i = from; i < Math.min(changes, from + 20_000); i++) {
      const slice = incrementSlice(i, 1);
      byPartition[slicePartition(slice, PARTITIONS)]?.push(slice);
    }
    const batch = byPartition.flatMap((rows, partition) =>
      Array.from({ length: Math.ceil(rows.length / 100) }, (_v, j) => ({
        partition,
        value: encodeEnvelope({
          v: 1,
          kind: "rows",
          origin,
          lsn: "0/1",
          commitTime: Date.now(),
          rows: rows.slice(j * 100, (j + 1) * 100),
        }),
      })),
    );
    await producer.send({ topic, acks: -1, messages: batch });
    messages += batch.length;
  }
  return messages;
}

async function mergerBacklog(changes: number): Promise<BacklogRun> {
  const [origin, target] = [regionName("o"), regionName("t")];
  const regions = [{ id: origin }, { id: target }];
  const db = await createTestDatabase("eu-west", "bench_backlog");
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const topic = await createTestTopic(originTopic(origin), PARTITIONS);
  try {
    await installSchema(
      client,
      parseInstallConfig({ region: target, regions, tables: [countingResultsSpec] }),
    );
    const producer = testKafka(uniqueName("backlogprod")).producer({ idempotent: true });
    await producer.connect();
    // One increment per key, sent in chunks so the bench itself holds little memory.
    const messages = await produceBacklog(producer, topic.name, origin, changes);
    await producer.disconnect();
    const merger = createMerger({
      region: target,
      pgUrl: db.url,
      kafka: { brokers: readEndpoints().kafka.brokers },
      tables: [spec],
      regions,
      logger: silentLogger(),
      metrics: createMetrics(),
      clock: systemClock,
    });
    return await measure(async () => {
      await merger.start();
      await waitFor(async () => (await appliedMessages(client)) === messages, {
        description: "the Kafka backlog merged",
        timeoutMs: 600_000,
        intervalMs: 20,
      });
      await merger.stop();
    });
  } finally {
    await client.end();
    await topic.delete();
    await db.drop();
  }
}

const [role, n] = [process.argv[2], Number(process.argv[3])];
if ((role !== "capture" && role !== "merger") || !Number.isInteger(n) || n <= 0) {
  process.stderr.write("usage: backlog-run.ts <capture|merger> <changes>\n");
  process.exit(2);
}
const result = role === "capture" ? await captureBacklog(n) : await mergerBacklog(n);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
