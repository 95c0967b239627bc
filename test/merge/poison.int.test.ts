import { expect, it } from "vitest";
import { deadLetterTopic, originTopic } from "@georep/contract";
import { createTestTopic, testKafka, uniqueName, useCleanups, waitFor } from "@georep/testkit";
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

// SPEC.md invariant 11: bad messages go to the dead-letter topic with their reason, are counted,
// and consumption continues; heartbeats keep the lag of an idle origin fresh; conflict retention.
const defer = useCleanups();

it("poison messages land in the DLQ with reasons and do not stop consumption", async () => {
  const [origin, target] = testRegions(2) as [string, string];
  const spec = itemsSpec("pitems");
  const db = await setupRegionDb("ap-south", "merge_poison", target, [origin, target], [spec]);
  defer(() => db.close());
  const topic = await createTestTopic(originTopic(origin), 1);
  const dlq = await createTestTopic(deadLetterTopic(target), 1);
  defer(() => topic.delete());
  defer(() => dlq.delete());
  // An old ledger row, to be removed by retention at start.
  await db.client
    .query(`INSERT INTO georep.conflicts (table_name, row_key, column_name, winner_stamp, winner_region, loser_stamp, loser_region, recorded_at)
    VALUES ('public.pitems', '{}', 'label', 1, 'a', 0, 'b', now() - interval '3 hours')`);
  // Everything before the heartbeat was committed at the source an hour ago: the lag reads about
  // 3600 s until the heartbeat (committed now) is applied, whatever the speed of the machine.
  const committedAnHourAgo = Date.now() - 3_600_000;
  const good = (id: number, hits: bigint) =>
    encode(rows(origin, [itemSlice("pitems", id, hits, 1n << 16n)], committedAnHourAgo));
  const oversized = encode(
    rows(
      origin,
      Array.from({ length: 40 }, (_v, i) => itemSlice("pitems", 100 + i, 1n, 1n << 16n)),
      committedAnHourAgo,
    ),
  );
  const values = [
    good(1, 5n),
    Buffer.from("\u0000\u0001 not json"),
    Buffer.from(
      JSON.stringify({ v: 2, kind: "rows", origin, lsn: "0/1", commitTime: 1, rows: [] }),
    ),
    oversized,
    encode(rows("zz-nowhere", [itemSlice("pitems", 2, 1n, 1n << 16n)], committedAnHourAgo)),
    encode(rows(target, [itemSlice("pitems", 3, 1n, 1n << 16n)], committedAnHourAgo)),
    encode(rows(origin, [itemSlice("nosuch", 4, 1n, 1n)], committedAnHourAgo)),
    good(2, 7n),
  ].map((value, i) => ({ key: `m${i}`, value }));
  await produce(topic.name, values, 1);
  const { merger, metrics } = testMerger({
    region: target,
    origin,
    db,
    spec,
    options: { maxMessageBytes: 4096, lagIntervalMs: 50, conflictRetentionHours: 1 },
  });
  defer(() => merger.stop());
  await merger.start();
  await waitFor(
    async () => (await db.client.query("SELECT 1 FROM pitems WHERE id = 2")).rowCount === 1,
    { description: "the message after the poison to be merged", timeoutMs: 30_000 },
  );
  const { rows: got } = await db.client.query<{ id: string; hits: string }>(
    "SELECT id::text, hits::text FROM pitems ORDER BY id",
  );
  expect(got).toEqual([
    { id: "1", hits: "5" },
    { id: "2", hits: "7" },
  ]);
  expect((await db.client.query("SELECT 1 FROM georep.conflicts")).rowCount).toBe(0);

  const reasons: Array<{ reason: string; source: string; value: string }> = [];
  const consumer = testKafka(uniqueName("dlqreader")).consumer({ groupId: uniqueName("dlqgroup") });
  defer(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topic: dlq.name, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      reasons.push({
        reason: String(message.headers?.["georep-dlq-reason"]),
        source: String(message.headers?.["georep-dlq-source"]),
        value: message.value?.toString("latin1") ?? "",
      });
      return Promise.resolve();
    },
  });
  await waitFor(() => reasons.length >= 5, { description: "five dead letters", timeoutMs: 60_000 });
  expect(reasons.map((r) => r.reason)).toEqual([
    "malformed",
    "unknown-version",
    "oversized",
    "unknown-origin",
    "own-origin",
  ]);
  // A row of a table this region does not replicate is set aside alone, for replay after a spec upgrade.
  const { rows: setAside } = await db.client.query<{ reason: string; source: string }>(
    "SELECT reason, source FROM georep.quarantine",
  );
  expect(setAside).toEqual([{ reason: "schema-mismatch", source: `${topic.name}/0/6` }]);
  // The dead letters that may be the origin's changes (malformed, unknown version, oversized: 1-3)
  // are a gap until repaired from the origin, so its reports of the origin's progress stop there
  // (tombstone collection waits); another region's envelopes on the topic (4, 5) are not. Before,
  // they left no trace, and the region reported the origin's later heartbeats as if it had them all.
  const { rows: gaps } = await db.client.query<{ origin: string; range: string }>(
    "SELECT origin, from_offset || '-' || to_offset AS range FROM georep.gaps WHERE repaired_at IS NULL",
  );
  expect(gaps).toEqual([{ origin, range: "1-3" }]);
  expect(reasons[0]?.value).toBe("\u0000\u0001 not json");
  expect(reasons[0]?.source).toBe(`${topic.name}/0/1`);
  const text = await metrics.render();
  expect(text).toMatch(/georep_dead_letters_total\{reason="oversized"\} 1/);
  expect(text).toMatch(/georep_conflicts_pruned_total 1/);
  // The merge-time split: each batch's Kafka wait, each transaction's SQL time and lock wait.
  expect(text).toMatch(/georep_merge_kafka_wait_seconds_count [1-9]/);
  expect(text).toMatch(/georep_merge_sql_seconds_count [1-9]/);
  expect(text).toMatch(/georep_merge_lock_wait_seconds_count [1-9]/);

  // An idle origin: a heartbeat keeps its lag fresh and moves progress.
  const lag = () => merger.status().lagSeconds[origin] ?? Infinity;
  expect(lag()).toBeGreaterThan(3_000);
  await produce(
    topic.name,
    [
      {
        key: "hb",
        value: encode({
          v: 1,
          kind: "heartbeat",
          origin,
          lsn: "0/2",
          commitTime: Date.now(),
          stamp: "1",
        }),
      },
    ],
    1,
  );
  // Below 600 s: from the heartbeat (the messages before it are 3600 s old), and not a wall-clock
  // window of a few seconds that a slow merge or a descheduled test would miss.
  await waitFor(() => lag() < 600, { description: "lag from the heartbeat", timeoutMs: 60_000 });
  await waitFor(
    async () =>
      (await db.client.query("SELECT kafka_offset FROM georep.progress WHERE kafka_offset = 8"))
        .rowCount === 1,
    { description: "progress to cover the heartbeat", timeoutMs: 60_000 },
  );
  // The gauge is refreshed every lagIntervalMs: poll it, for this origin.
  const gauge = new RegExp(`^georep_replication_lag_seconds\\{origin="${origin}"\\} (\\S+)$`, "m");
  await waitFor(
    async () => {
      const value = gauge.exec(await metrics.render())?.[1];
      return value !== undefined && Number(value) < 600;
    },
    { description: `the lag gauge of ${origin} below 600 s`, timeoutMs: 30_000 },
  );
  expect(merger.status().state).toBe("running");
});
