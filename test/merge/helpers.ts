import pg from "pg";
import type { Envelope, RowSlice } from "@georep/contract";
import { encodeEnvelope } from "@georep/contract";
import { installSchema, parseInstallConfig, parseTableSpec } from "@georep/schema";
import type { TableSpec, TableSpecInput } from "@georep/schema";
import { createMerger } from "@georep/merger";
import type { Merger, MergerOptionsInput } from "@georep/merger";
import { createMetrics, silentLogger } from "@georep/observability";
import type { Metrics } from "@georep/observability";
import { createTestDatabase, readEndpoints, testKafka, uniqueName } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";

/** A table with every CRDT kind: gcounter, pncounter, lww registers, home column. */
export function itemsSpec(name: string): TableSpec {
  return parseTableSpec({
    schema: "public",
    name,
    key: [{ name: "id", type: "bigint" }],
    columns: [
      { name: "hits", type: "bigint", crdt: "gcounter" },
      { name: "balance", type: "bigint", crdt: "pncounter" },
      { name: "label", type: "text", crdt: "lww" },
      { name: "home", type: "text", crdt: "lww" },
    ],
    home: { kind: "column", column: "home" },
  } satisfies TableSpecInput);
}

/** Region ids of their own per test, so the topics (georep.<origin>) are the test's own. */
export function testRegions(n: number): string[] {
  const base = uniqueName("r").replace(/_/g, "-").replace(/-+$/, "").slice(0, 24);
  return Array.from({ length: n }, (_v, i) =>
    `${base}-${i}`.replace(/^r/, String.fromCharCode(97 + i)),
  );
}

export interface RegionDb {
  readonly region: string;
  readonly db: TestDatabase;
  readonly client: pg.Client;
  close(): Promise<void>;
}

export async function setupRegionDb(
  cluster: string,
  prefix: string,
  region: string,
  regions: readonly string[],
  tables: readonly TableSpec[],
): Promise<RegionDb> {
  const db = await createTestDatabase(cluster, prefix);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await installSchema(
    client,
    parseInstallConfig({ region, regions: regions.map((id) => ({ id })), tables }),
  );
  return {
    region,
    db,
    client,
    async close() {
      await client.end().catch(() => undefined);
      await db.drop();
    },
  };
}

export function rows(origin: string, slices: RowSlice[], commitTime = Date.now()): Envelope {
  return { v: 1, kind: "rows", origin, lsn: "0/1", commitTime, rows: slices };
}

/** One origin's state for an `items` key: cumulative counter components. */
export function itemSlice(table: string, id: number, hits: bigint, stamp: bigint): RowSlice {
  return {
    table: `public.${table}`,
    key: { id: String(id) },
    zone: null,
    counters: { hits__p: hits.toString(), balance__p: "0", balance__n: "0" },
    registers: { label: { v: `l${id}`, t: stamp.toString() } },
    ins: stamp.toString(),
    del: null,
    delBase: null,
  };
}

/** Produces raw values round-robin over partitions, `perRequest` per request (one record batch each), with acks=all. */
export async function produce(
  topic: string,
  values: ReadonlyArray<{ key: string; value: Buffer }>,
  partitions: number,
  perRequest = 500,
): Promise<void> {
  const producer = testKafka(uniqueName("mergeprod")).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    for (let i = 0; i < values.length; i += perRequest) {
      await producer.send({
        topic,
        acks: -1,
        messages: values
          .slice(i, i + perRequest)
          .map((v, j) => ({ key: v.key, value: v.value, partition: (i + j) % partitions })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

export const encode = (e: Envelope): Buffer => encodeEnvelope(e);

/** A real merger for `region`, merging from `origin`, with its own metrics registry. */
export function testMerger(o: {
  readonly region: string;
  readonly origin: string;
  readonly db: RegionDb;
  readonly spec: TableSpec;
  readonly options?: MergerOptionsInput;
}): { merger: Merger; metrics: Metrics } {
  const metrics = createMetrics();
  const merger = createMerger({
    region: o.region,
    pgUrl: o.db.db.url,
    kafka: { brokers: readEndpoints().kafka.brokers },
    tables: [o.spec],
    regions: [{ id: o.origin }, { id: o.region }],
    logger: silentLogger(),
    metrics,
    clock: () => Date.now(),
    ...(o.options === undefined ? {} : { options: o.options }),
  });
  return { merger, metrics };
}
