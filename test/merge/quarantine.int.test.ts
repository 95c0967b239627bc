import pg from "pg";
import { expect, it } from "vitest";
import { originTopic } from "@georep/contract";
import type { RowSlice } from "@georep/contract";
import { createMergeTransaction, replayQuarantine } from "@georep/merger";
import { silentLogger } from "@georep/observability";
import { stateLayout } from "@georep/schema";
import type { TableSpec } from "@georep/schema";
import { createTestTopic, useCleanups, waitFor } from "@georep/testkit";
import type { RegionDb } from "./helpers.ts";
import {
  encode,
  itemSlice,
  itemsSpec,
  produce,
  rows,
  setupRegionDb,
  testMerger,
  testRegions,
} from "./helpers.ts";

const defer = useCleanups();
const STAMP = 1n << 16n;

async function setup(prefix: string): Promise<{
  origin: string;
  target: string;
  spec: TableSpec;
  db: RegionDb;
  topic: string;
}> {
  const [origin, target] = testRegions(2) as [string, string];
  const spec = itemsSpec(prefix);
  const db = await setupRegionDb("ap-south", `merge_${prefix}`, target, [origin, target], [spec]);
  defer(() => db.close());
  const topic = await createTestTopic(originTopic(origin), 1);
  defer(() => topic.delete());
  return { origin, target, spec, db, topic: topic.name };
}

function startMerger(
  s: Awaited<ReturnType<typeof setup>>,
  options: Record<string, number> = {},
): ReturnType<typeof testMerger> {
  const started = testMerger({
    region: s.target,
    origin: s.origin,
    db: s.db,
    spec: s.spec,
    options: { lagIntervalMs: 50, ...options },
  });
  defer(() => started.merger.stop());
  return started;
}

const labels = async (client: pg.Client, table: string): Promise<Record<string, string>> => {
  const { rows: got } = await client.query<{ id: string; label: string }>(
    `SELECT id::text, label FROM ${table} ORDER BY id`,
  );
  return Object.fromEntries(got.map((r) => [r.id, r.label]));
};

const withLabel = (slice: RowSlice, label: string): RowSlice => ({
  ...slice,
  registers: { label: { v: label, t: slice.registers["label"]?.t ?? "0" } },
});

it("sets aside only the refused row of an envelope, and replay merges it once the cause is fixed", async () => {
  const s = await setup("qitems");
  // A constraint only this region has: the second row of the envelope violates it.
  await s.db.client.query(
    "ALTER TABLE qitems ADD CONSTRAINT no_bad_label CHECK (label IS DISTINCT FROM 'bad')",
  );
  const pair = rows(s.origin, [
    itemSlice("qitems", 1, 3n, STAMP),
    withLabel(itemSlice("qitems", 2, 4n, STAMP), "bad"),
  ]);
  const after = rows(s.origin, [itemSlice("qitems", 3, 5n, STAMP)]);
  await produce(
    s.topic,
    [pair, after].map((e, i) => ({ key: `k${i}`, value: encode(e) })),
    1,
  );
  const { merger, metrics } = startMerger(s);
  await merger.start();
  await waitFor(
    async () =>
      (await s.db.client.query("SELECT 1 FROM georep.progress WHERE kafka_offset = 1")).rowCount ===
      1,
    { description: "progress past both messages", timeoutMs: 60_000 },
  );
  expect(await labels(s.db.client, "qitems")).toEqual({ "1": "l1", "3": "l3" });
  const { rows: set } = await s.db.client.query<Record<string, string>>(
    "SELECT table_name, row_key, origin, reason, sql_state, source FROM georep.quarantine",
  );
  expect(set).toEqual([
    {
      table_name: "public.qitems",
      row_key: 'public.qitems {"id":"2"}',
      origin: s.origin,
      reason: "rejected",
      sql_state: "23514",
      source: `${s.topic}/0/0`,
    },
  ]);
  expect(await metrics.render()).toMatch(/georep_quarantined_rows_total\{reason="rejected"\} 1/);

  // Replay before the fix keeps it; after the fix merges it; a second replay changes nothing.
  const replay = () =>
    replayQuarantine(s.db.client, {
      limit: 100,
      mergeTransaction: createMergeTransaction({ tables: [s.spec], logger: silentLogger() }),
      layouts: new Map([["public.qitems", stateLayout(s.spec)]]),
      nowMs: Date.now(),
      maxForwardSkewMs: 60_000,
    });
  const early = await replay();
  expect(early.merged).toBe(0);
  expect(early.kept.map((k) => [k.sqlState, k.attempts])).toEqual([["23514", 1]]);
  await s.db.client.query("ALTER TABLE qitems DROP CONSTRAINT no_bad_label");
  expect((await replay()).merged).toBe(1);
  expect((await replay()).merged).toBe(0);
  expect(await labels(s.db.client, "qitems")).toEqual({ "1": "l1", "2": "bad", "3": "l3" });
  const { rows: hits } = await s.db.client.query<{ hits: string }>(
    "SELECT hits::text FROM qitems ORDER BY id",
  );
  expect(hits.map((h) => h.hits)).toEqual(["3", "4", "5"]);
  expect((await s.db.client.query("SELECT 1 FROM georep.quarantine")).rowCount).toBe(0);
});

it("sets aside a stamp beyond the forward skew without moving the local clock, and a future commit time does not hide lag", async () => {
  const s = await setup("qskew");
  const future = BigInt(Date.now() + 3_600_000) << 16n;
  const skewed = rows(s.origin, [
    { ...itemSlice("qskew", 1, 2n, future), ins: future.toString() },
    itemSlice("qskew", 2, 2n, STAMP),
  ]);
  // Committed (it says) a day from now.
  const fromTheFuture = rows(s.origin, [itemSlice("qskew", 3, 1n, STAMP)], Date.now() + 86_400_000);
  await produce(
    s.topic,
    [skewed, fromTheFuture].map((e, i) => ({ key: `k${i}`, value: encode(e) })),
    1,
  );
  const { merger, metrics } = startMerger(s, { maxForwardSkewMs: 5_000 });
  await merger.start();
  await waitFor(
    async () =>
      (await s.db.client.query("SELECT 1 FROM georep.progress WHERE kafka_offset = 1")).rowCount ===
      1,
    { description: "progress past both messages", timeoutMs: 60_000 },
  );
  expect(await labels(s.db.client, "qskew")).toEqual({ "2": "l2", "3": "l3" });
  const { rows: set } = await s.db.client.query<{ reason: string; detail: string }>(
    "SELECT reason, detail FROM georep.quarantine",
  );
  expect(set.map((r) => r.reason)).toEqual(["clock-skew"]);
  expect(set[0]?.detail).toMatch(/beyond the allowed forward skew of 5000 ms/);
  expect(await metrics.render()).toMatch(/georep_quarantined_rows_total\{reason="clock-skew"\} 1/);
  // A local write to that key is stamped from this region's clock, not after the future stamp.
  await s.db.client.query("INSERT INTO qskew (id, label) VALUES (1, 'local')");
  const { rows: stamps } = await s.db.client.query<{ t: string }>(
    `SELECT label__t::text AS t FROM georep."state__public__qskew" WHERE id = 1`,
  );
  expect(BigInt(stamps[0]?.t ?? "0")).toBeLessThan(BigInt(Date.now() + 60_000) << 16n);
  // The lag counts from when the message arrived, so it grows instead of reading 0 for a day.
  await waitFor(() => (merger.status().lagSeconds[s.origin] ?? 0) > 1.5, {
    description: "the lag of an origin whose last commit time is in the future to grow",
    timeoutMs: 30_000,
  });
});

it("merges other keys while a local transaction holds a row lock, and the blocked row once it is released", async () => {
  const s = await setup("qlock");
  await s.db.client.query("INSERT INTO qlock (id, label) VALUES (1, 'local')");
  const holder = new pg.Client({ connectionString: s.db.db.url });
  await holder.connect();
  defer(() => holder.end());
  await holder.query("BEGIN");
  await holder.query("SELECT 1 FROM qlock WHERE id = 1 FOR UPDATE");
  const { merger, metrics } = startMerger(s, { lockTimeoutMs: 300, deferredRetryIntervalMs: 200 });
  await merger.start();
  const blocked = rows(s.origin, [
    itemSlice("qlock", 1, 9n, STAMP),
    itemSlice("qlock", 2, 1n, STAMP),
  ]);
  await produce(s.topic, [{ key: "k0", value: encode(blocked) }], 1);
  for (let id = 3; id <= 5; id++) {
    await produce(
      s.topic,
      [{ key: `k${id}`, value: encode(rows(s.origin, [itemSlice("qlock", id, 1n, STAMP)])) }],
      1,
    );
    await waitFor(
      async () =>
        (await s.db.client.query("SELECT 1 FROM qlock WHERE id = $1", [id])).rowCount === 1,
      { description: `key ${id} to merge while key 1 is locked`, timeoutMs: 30_000 },
    );
  }
  expect(Object.keys(await labels(s.db.client, "qlock"))).toEqual(["1", "2", "3", "4", "5"]);
  const { rows: set } = await s.db.client.query<{ reason: string; row_key: string }>(
    "SELECT reason, row_key FROM georep.quarantine",
  );
  expect(set).toEqual([{ reason: "lock-timeout", row_key: 'public.qlock {"id":"1"}' }]);
  await holder.query("COMMIT");
  await waitFor(
    async () =>
      (await s.db.client.query("SELECT 1 FROM qlock WHERE id = 1 AND hits = 9")).rowCount === 1,
    { description: "the blocked row to merge once the lock is gone", timeoutMs: 30_000 },
  );
  await waitFor(
    async () => (await s.db.client.query("SELECT 1 FROM georep.quarantine")).rowCount === 0,
    { description: "the quarantine to empty", timeoutMs: 30_000 },
  );
  expect(await metrics.render()).toMatch(/georep_deferred_replays_total\{outcome="merged"\} 1/);
});
