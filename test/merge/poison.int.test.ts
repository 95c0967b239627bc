import { expect, it } from "vitest";
import { deadLetterTopic, originTopic } from "@georep/contract";
import { createMerger } from "@georep/merger";
import type { Merger } from "@georep/merger";
import { createMetrics, silentLogger } from "@georep/observability";
import {
  createTestTopic,
  readEndpoints,
  testKafka,
  uniqueName,
  useCleanups,
  waitFor,
} from "@georep/testkit";
import {
  encode,
  itemSlice,
  itemsSpec,
  produce,
  rows,
  setupRegionDb,
  testRegions,
} from "./helpers.ts";

// Contract §1.10: bad messages go to the dead-letter topic with their reason, are counted, and
// consumption continues; heartbeats keep the lag of an idle origin fresh; conflict retention.
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
  const good = (id: number, hits: bigint) =>
    encode(rows(origin, [itemSlice("pitems", id, hits, 1n << 16n)]));
  const oversized = encode(
    rows(
      origin,
      Array.from({ length: 40 }, (_v, i) => itemSlice("pitems", 100 + i, 1n, 1n << 16n)),
    ),
  );
  const values = [
    good(1, 5n),
    Buffer.from("\u0000\u0001 not json"),
    Buffer.from(
      JSON.stringify({ v: 2, kind: "rows", origin, lsn: "0/1", commitTime: 1, rows: [] }),
    ),
    oversized,
    encode(rows("zz-nowhere", [itemSlice("pitems", 2, 1n, 1n << 16n)])),
    encode(rows(target, [itemSlice("pitems", 3, 1n, 1n << 16n)])),
    encode(rows(origin, [itemSlice("nosuch", 4, 1n, 1n)])),
    good(2, 7n),
  ].map((value, i) => ({ key: `m${i}`, value }));
  await produce(topic.name, values, 1);
  const metrics = createMetrics();
  const merger: Merger = createMerger({
    region: target,
    pgUrl: db.db.url,
    kafka: { brokers: readEndpoints().kafka.brokers },
    tables: [spec],
    regions: [{ id: origin }, { id: target }],
    logger: silentLogger(),
    metrics,
    clock: () => Date.now(),
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
  await waitFor(() => reasons.length >= 6, { description: "six dead letters", timeoutMs: 30_000 });
  expect(reasons.map((r) => r.reason)).toEqual([
    "malformed",
    "unknown-version",
    "oversized",
    "unknown-origin",
    "own-origin",
    "schema-mismatch",
  ]);
  expect(reasons[0]?.value).toBe("\u0000\u0001 not json");
  expect(reasons[0]?.source).toBe(`${topic.name}/0/1`);
  const text = await metrics.render();
  expect(text).toMatch(/georep_dead_letters_total\{reason="oversized"\} 1/);
  expect(text).toMatch(/georep_conflicts_pruned_total 1/);

  // An idle origin: a heartbeat keeps its lag fresh and moves progress.
  const lag = () => merger.status().lagSeconds[origin] ?? Infinity;
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
  await waitFor(() => lag() < 5, { description: "lag from the heartbeat", timeoutMs: 20_000 });
  await waitFor(
    async () =>
      (await db.client.query("SELECT kafka_offset FROM georep.progress WHERE kafka_offset = 8"))
        .rowCount === 1,
    { description: "progress to cover the heartbeat", timeoutMs: 20_000 },
  );
  await waitFor(
    async () =>
      /georep_replication_lag_seconds\{origin="[^"]+"\} [0-4]\./.test(await metrics.render()),
    { description: "lag gauge", timeoutMs: 5_000 },
  );
  expect(merger.status().state).toBe("running");
});
