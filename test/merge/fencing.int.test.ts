import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { encodeEnvelope, originTopic } from "@georep/contract";
import type { ConsumedBatch } from "@georep/kafka";
import { MergeError, createMergeTransaction, parseMergerOptions } from "@georep/merger";
import type { ProgressEntry } from "@georep/merger";
import { FENCED_SQLSTATE, createMergeWorker, createMergerMetrics } from "@georep/merger/testing";
import { createMetrics, silentLogger } from "@georep/observability";
import type { RegionDb } from "./helpers.ts";
import { itemSlice, itemsSpec, rows, setupRegionDb, testRegions } from "./helpers.ts";

// Part of issue 15: several merge workers of one region share a consumer group, and each
// partition is fenced by its progress row, so two workers never both apply one partition's batch
// (a rebalance hands a partition over while its old owner still holds a batch, or a paused worker
// wakes up). Without the fence both transactions below commit.
const [origin, region] = testRegions(2) as [string, string];
const table = "fitems";
const spec = itemsSpec(table);
const topic = originTopic(origin);
let db: RegionDb;
const pools: pg.Pool[] = [];

beforeAll(async () => {
  db = await setupRegionDb("eu-west", "merge_fence", region, [origin, region], [spec]);
});
afterAll(async () => {
  for (const p of pools) await p.end();
  await db.close();
});

const pool = (): pg.Pool => {
  const p = new pg.Pool({ connectionString: db.db.url, max: 2 });
  pools.push(p);
  return p;
};

const entry = (partition: number, offset: bigint, after: bigint | null): ProgressEntry => ({
  topic,
  partition,
  origin,
  offset,
  lsn: "0/1",
  commitTime: Date.now(),
  after,
});

/** A merge worker of `region` on its own pool, and its metrics. */
const worker = () => {
  const metrics = createMetrics();
  const w = createMergeWorker({
    config: { region, regions: [{ id: origin }, { id: region }], clock: () => Date.now() },
    options: parseMergerOptions({}),
    tables: [spec],
    pool: pool(),
    metrics: createMergerMetrics(metrics),
    log: silentLogger(),
    deadLetter: () => Promise.resolve(),
  });
  return { w, metrics };
};

const storedOffset = async (partition: number): Promise<string | undefined> =>
  (
    await db.client.query<{ o: string }>(
      "SELECT kafka_offset::text AS o FROM georep.progress WHERE topic = $1 AND partition = $2",
      [topic, partition],
    )
  ).rows[0]?.o;

it("of two transactions racing for one partition's batch, exactly one applies it", async () => {
  const merge = createMergeTransaction({ tables: [spec], logger: silentLogger() });
  const clients = [pool(), pool()];
  for (const [round, after] of [null, 9n].entries()) {
    const offset = BigInt(round * 10 + 9);
    const envelope = rows(origin, [itemSlice(table, round, BigInt(round + 1), 1n << 16n)]);
    // Same batch, same view of the partition: one waits on the other's progress row lock, then
    // finds the row moved (or, for a partition nobody recorded yet, created) and is refused.
    const outcomes = await Promise.allSettled(
      clients.map(async (p) => {
        const c = await p.connect();
        try {
          return await merge.run(c, {
            envelopes: [envelope as never],
            progress: [entry(0, offset, after)],
          });
        } finally {
          c.release();
        }
      }),
    );
    const refused = outcomes.flatMap((o): unknown[] => (o.status === "rejected" ? [o.reason] : []));
    expect(
      outcomes.filter((o) => o.status === "fulfilled"),
      `round ${round}`,
    ).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(MergeError);
    expect((refused[0] as MergeError).sqlState).toBe(FENCED_SQLSTATE);
    expect(await storedOffset(0)).toBe(String(offset));
  }
  // A worker whose view is behind (it read offset 9; the row says 19) is refused too.
  const c = await clients[0]?.connect();
  try {
    await expect(
      merge.run(c as pg.PoolClient, { envelopes: [], progress: [entry(0, 29n, 9n)] }),
    ).rejects.toMatchObject({ sqlState: FENCED_SQLSTATE });
  } finally {
    c?.release();
  }
  expect(await storedOffset(0)).toBe("19");
});

it("a worker that wakes up behind another reads on from the database instead of applying", async () => {
  const batch = (from: number, hits: bigint): ConsumedBatch => ({
    topic,
    partition: 1,
    messages: Array.from({ length: 5 }, (_v, i) => ({
      offset: BigInt(from + i),
      key: null,
      value: encodeEnvelope(rows(origin, [itemSlice(table, 100 + i, hits, 2n << 16n)])),
      headers: {},
      timestamp: Date.now(),
    })),
  });
  const controls = { heartbeat: () => Promise.resolve(), isActive: () => true };
  const a = worker();
  const b = worker();
  // Both were assigned the partition and read its (empty) position: a rebalance in flight.
  await a.w.progress.load([{ topic, partition: 1 }]);
  await b.w.progress.load([{ topic, partition: 1 }]);
  expect(await b.w.onBatch(batch(0, 3n), controls)).toEqual({ kind: "consumed", through: 4n });
  // a held the same batch (paused, or not yet told of the rebalance): it must not apply it.
  expect(await a.w.onBatch(batch(0, 3n), controls)).toEqual({ kind: "seek", offset: 5n });
  expect(await a.metrics.render()).toMatch(/^georep_merge_fenced_total 1$/m);
  // From the database's position, a goes on with the next batch.
  expect(await a.w.onBatch(batch(5, 4n), controls)).toEqual({ kind: "consumed", through: 9n });
  expect(await storedOffset(1)).toBe("9");
});

it("a worker that wakes up behind another records no gap for what the other applied", async () => {
  const a = worker().w;
  const batch = (from: number): ConsumedBatch => ({
    topic,
    partition: 2,
    messages: Array.from({ length: 5 }, (_v, i) => ({
      offset: BigInt(from + i),
      key: null,
      value: encodeEnvelope(rows(origin, [itemSlice(table, 200 + from + i, 1n, 3n << 16n)])),
      headers: {},
      timestamp: Date.now(),
    })),
  });
  const controls = { heartbeat: () => Promise.resolve(), isActive: () => true };
  await a.progress.load([{ topic, partition: 2 }]);
  expect(await a.onBatch(batch(0), controls)).toEqual({ kind: "consumed", through: 4n });
  // Meanwhile another worker of the region applied offsets 5..9; a still holds next = 5 and is
  // handed the batch from 10 on (the group's committed offset).
  const merge = createMergeTransaction({ tables: [spec], logger: silentLogger() });
  const c = await pool().connect();
  try {
    await merge.run(c, {
      envelopes: [rows(origin, [itemSlice(table, 299, 1n, 3n << 16n)]) as never],
      progress: [entry(2, 9n, 4n)],
    });
  } finally {
    c.release();
  }
  const gaps = async (): Promise<string[]> =>
    (
      await db.client.query<{ r: string }>(
        "SELECT from_offset || '-' || to_offset AS r FROM georep.gaps WHERE partition = 2",
      )
    ).rows.map((r) => r.r);
  // Before, a recorded offsets 5..9 as deleted unread, and a needless repair followed.
  expect(await a.onBatch(batch(10), controls)).toEqual({ kind: "seek", offset: 10n });
  expect(await gaps()).toEqual([]);
  expect(await a.onBatch(batch(10), controls)).toEqual({ kind: "consumed", through: 14n });
  // Records Kafka really deleted (15..19, applied by nobody) are still a gap.
  expect(await a.onBatch(batch(20), controls)).toEqual({ kind: "consumed", through: 24n });
  expect(await gaps()).toEqual(["15-19"]);
});
