// The apply benchmarks' target: a region's database holding the workload's starting rows, and the
// origin's topic (6 partitions, the default), with the workload's envelopes ready to produce. The
// in-process merger bench (apply-merger.ts) and the merge-worker bench (merge-workers.ts) both
// measure on it, so a difference between them is the mergers', not the setup's.
import pg from "pg";
import { encodeEnvelope, originTopic } from "@georep/contract";
import type { Envelope, EnvelopeSigner, RowSlice, RowsEnvelope } from "@georep/contract";
import { createMergeTransaction } from "@georep/merger";
import { silentLogger } from "@georep/observability";
import {
  countingResultsSpec,
  installSchema,
  parseInstallConfig,
  parseTableSpec,
} from "@georep/schema";
import type { TableSpec } from "@georep/schema";
import { createTestDatabase, createTestTopic, testKafka, uniqueName } from "@georep/testkit";
import type { Workload } from "./apply-workload.ts";
import { BUCKET, envelopesOf, keyOf } from "./apply-workload.ts";

export const PARTITIONS = 6;

export interface Routed {
  readonly partition: number;
  readonly envelope: Envelope;
}

export interface ApplyTarget {
  /** The region whose changes arrive, and the region that merges them (the database's). */
  readonly origin: string;
  readonly region: string;
  readonly regions: ReadonlyArray<{ readonly id: string }>;
  readonly spec: TableSpec;
  readonly pgUrl: string;
  /** The origin's topic, which the region's mergers consume. */
  readonly topic: string;
  /** The workload as the origin's shipper sends it, each envelope with its partition. */
  readonly envelopes: readonly Routed[];
  /** A connection of the bench's own to the target database, for polling and checks. */
  readonly client: pg.Client;
  /**
   * Produces `envelopes` to the topic, each to its partition, acknowledged by every replica; each
   * signed by `signer` when given (the signing bench).
   */
  produce(envelopes: readonly Routed[], signer?: EnvelopeSigner): Promise<void>;
  /** Kafka messages merged so far. */
  applied(): Promise<number>;
  /** @throws Error when the merged people_in total is not the workload's change count. */
  checkTotal(): Promise<void>;
}

/** An envelope of `origin` carrying `rows`; its LSN and commit time feed progress and lag, not the merged state. */
export const rowsEnvelope = (origin: string, rows: RowSlice[]): RowsEnvelope => ({
  v: 1,
  kind: "rows",
  origin,
  lsn: "0/1",
  commitTime: Date.now(),
  rows,
});

/** Kafka messages merged so far, from the progress table (offsets are dense on our topics). */
export async function appliedMessages(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    "SELECT coalesce(sum(kafka_offset + 1), 0)::text AS n FROM georep.progress",
  );
  return Number(rows[0]?.n ?? 0);
}

/** The starting rows (the same as the native run's), merged untimed, 5,000 a transaction. */
async function mergeInitialRows(
  client: pg.Client,
  spec: TableSpec,
  w: Workload,
  origin: string,
): Promise<void> {
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
    const envelope = rowsEnvelope(origin, initial.slice(i, i + 5000));
    await mergeTransaction.run(client, { envelopes: [envelope], progress: [] });
  }
}

async function produceTo(
  topic: string,
  envelopes: readonly Routed[],
  signer: EnvelopeSigner | undefined,
): Promise<void> {
  const producer = testKafka(uniqueName("benchprod")).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    for (let i = 0; i < envelopes.length; i += 200) {
      await producer.send({
        topic,
        acks: -1,
        messages: envelopes.slice(i, i + 200).map((e) => {
          const value = encodeEnvelope(e.envelope);
          return signer === undefined
            ? { partition: e.partition, value }
            : { partition: e.partition, value, headers: signer.headers(topic, e.partition, value) };
        }),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Sets up a fresh target for `w` (database with georep installed and the starting rows, topic,
 * envelopes; nothing produced yet), runs `measure` on it, and drops the database and deletes the
 * topic afterwards, whether `measure` succeeded or threw.
 * @returns what `measure` returned.
 */
export async function withApplyTarget<T>(
  w: Workload,
  measure: (target: ApplyTarget) => Promise<T>,
): Promise<T> {
  const base = uniqueName("b").replace(/_/g, "-").replace(/-+$/, "").slice(0, 24);
  const [origin, region] = [`o${base.slice(1)}`, `t${base.slice(1)}`];
  const spec = parseTableSpec(countingResultsSpec);
  const regions = [{ id: origin }, { id: region }];
  const db = await createTestDatabase("eu-west", "bench_merge");
  try {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const topic = await createTestTopic(originTopic(origin), PARTITIONS);
      try {
        await installSchema(
          client,
          parseInstallConfig({ region, regions, tables: [countingResultsSpec] }),
        );
        await mergeInitialRows(client, spec, w, origin);
        return await measure({
          origin,
          region,
          regions,
          spec,
          pgUrl: db.url,
          topic: topic.name,
          envelopes: envelopesOf(w, origin, PARTITIONS, undefined, w.perEnvelope),
          client,
          produce: (envelopes, signer) => produceTo(topic.name, envelopes, signer),
          applied: () => appliedMessages(client),
          async checkTotal() {
            const { rows } = await client.query<{ total: string }>(
              "SELECT sum(people_in)::text AS total FROM counting_results",
            );
            if (rows[0]?.total !== String(w.changes))
              throw new Error(`merged total ${rows[0]?.total} != ${w.changes} changes`);
          },
        });
      } finally {
        await topic.delete();
      }
    } finally {
      await client.end();
    }
  } finally {
    await db.drop();
  }
}
