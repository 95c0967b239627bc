// The merger side of the apply benchmark: the workload's coalesced envelopes produced to Kafka
// first, then a merger started and timed from its first applied batch until it has them all.
import pg from "pg";
import { encodeEnvelope, originTopic } from "@georep/contract";
import { createMergeTransaction, createMerger } from "@georep/merger";
import { createMetrics, silentLogger, systemClock } from "@georep/observability";
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
import type { Workload } from "./apply-workload.ts";
import { BUCKET, envelopesOf, keyOf } from "./apply-workload.ts";

const PARTITIONS = 6;

export interface MergerRate {
  readonly changesPerSecond: number;
  readonly rowsPerSecond: number;
  readonly envelopes: number;
  readonly rows: number;
}

/** Kafka messages merged so far, from the progress table (offsets are dense on our topics). */
export async function appliedMessages(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    "SELECT coalesce(sum(kafka_offset + 1), 0)::text AS n FROM georep.progress",
  );
  return Number(rows[0]?.n ?? 0);
}

export async function mergerApplyRate(w: Workload): Promise<MergerRate> {
  const base = uniqueName("b").replace(/_/g, "-").replace(/-+$/, "").slice(0, 24);
  const [origin, target] = [`o${base.slice(1)}`, `t${base.slice(1)}`];
  const spec = parseTableSpec(countingResultsSpec);
  const db = await createTestDatabase("eu-west", "bench_merge");
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const topic = await createTestTopic(originTopic(origin), PARTITIONS);
  const regions = [{ id: origin }, { id: target }];
  try {
    await installSchema(
      client,
      parseInstallConfig({ region: target, regions, tables: [countingResultsSpec] }),
    );
    // The same starting rows as the native run, merged untimed.
    const initial = Array.from({ length: w.keys }, (_v, i) => ({
      table: "public.counting_results",
      key: { camera_id: keyOf(i), bucket: BUCKET },
      zone: null,
      counters: {},
      registers: { home_region: { v: origin, t: "65536000" } },
      ins: "65536000",
      del: null,
      delBase: null,
    }));
    const mergeTransaction = createMergeTransaction({ tables: [spec], logger: silentLogger() });
    for (let i = 0; i < initial.length; i += 5000) {
      await mergeTransaction.run(client, {
        envelopes: [
          {
            v: 1,
            kind: "rows",
            origin,
            lsn: "0/1",
            commitTime: 0,
            rows: initial.slice(i, i + 5000),
          },
        ],
        progress: [],
      });
    }
    const envelopes = envelopesOf(w, origin, PARTITIONS);
    const producer = testKafka(uniqueName("benchprod")).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    for (let i = 0; i < envelopes.length; i += 200) {
      await producer.send({
        topic: topic.name,
        acks: -1,
        messages: envelopes
          .slice(i, i + 200)
          .map((e) => ({ partition: e.partition, value: encodeEnvelope(e.envelope) })),
      });
    }
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
    const applied = (): Promise<number> => appliedMessages(client);
    await merger.start();
    const atFirst = Number(
      await waitFor(async () => (await applied()) || false, {
        description: "the first merged batch",
        timeoutMs: 60_000,
        intervalMs: 2,
      }),
    );
    const started = performance.now();
    await waitFor(async () => (await applied()) === envelopes.length, {
      description: "every envelope merged",
      timeoutMs: 600_000,
      intervalMs: 5,
    });
    const seconds = (performance.now() - started) / 1000;
    await merger.stop();
    const left = 1 - atFirst / envelopes.length; // the first batch is not in the timed interval
    const rows = envelopes.reduce(
      (n, e) => n + (e.envelope.kind === "rows" ? e.envelope.rows.length : 0),
      0,
    );
    const { rows: check } = await client.query<{ total: string }>(
      "SELECT sum(people_in)::text AS total FROM counting_results",
    );
    if (check[0]?.total !== String(w.changes))
      throw new Error(`merged total ${check[0]?.total} != ${w.changes} changes`);
    return {
      changesPerSecond: (w.changes * left) / seconds,
      rowsPerSecond: (rows * left) / seconds,
      envelopes: envelopes.length,
      rows,
    };
  } finally {
    await client.end();
    await topic.delete();
    await db.drop();
  }
}
