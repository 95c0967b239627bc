import { randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import { CompressionTypes } from "kafkajs";
import { deadLetterTopic, originTopic } from "@georep/contract";
import { createTestTopic, testKafka, uniqueName, useCleanups, waitFor } from "@georep/testkit";
import {
  encode,
  itemSlice,
  itemsSpec,
  rows,
  setupRegionDb,
  testMerger,
  testRegions,
} from "./helpers.ts";

// The merger never crashes because of a message: an oversized message is dead-lettered (gzip,
// so a compressible one fits the dead-letter topic whole; one that still does not fit goes as a
// small record whose value is a marker) and the messages after it are merged.
const defer = useCleanups();

// Through the testkit: it retries a busy broker's transient refusals (kafkajs' own createTopics
// failed this test once under load with UNKNOWN_TOPIC_OR_PARTITION).
async function createTopic(name: string, maxMessageBytes?: number): Promise<void> {
  const topic = await createTestTopic(
    name,
    1,
    maxMessageBytes === undefined ? {} : { maxMessageBytes },
  );
  defer(() => topic.delete());
}

it("an oversized message is dead-lettered and the merger keeps merging", async () => {
  const [origin, target] = testRegions(2) as [string, string];
  const spec = itemsSpec("oitems");
  const db = await setupRegionDb("eu-west", "merge_oversized", target, [origin, target], [spec]);
  defer(() => db.close());
  const source = originTopic(origin);
  const dlq = deadLetterTopic(target);
  // The source takes 16 MiB (compressed) records; the dead-letter topic keeps the broker's
  // default (1 MiB), as a topic created before georep set its limit would.
  await createTopic(source, 16 * 1024 * 1024);
  await createTopic(dlq);

  // 12 MiB of envelope that gzip shrinks to almost nothing, then 10 MiB of random bytes in a
  // label (incompressible): both above the merger's limit, only the second too large to
  // dead-letter whole.
  const slice = (id: number, label: string) => ({
    ...itemSlice("oitems", id, 1n, 1n << 16n),
    registers: { label: { v: label, t: (1n << 16n).toString() } },
  });
  const compressible = encode(rows(origin, [slice(10, "z".repeat(12 * 1024 * 1024))]));
  const random = encode(
    rows(origin, [slice(11, randomBytes(7.5 * 1024 * 1024).toString("base64"))]),
  );
  const producer = testKafka(uniqueName("oversized-prod")).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    for (const value of [
      encode(rows(origin, [itemSlice("oitems", 1, 5n, 1n << 16n)])),
      compressible,
      random,
      encode(rows(origin, [itemSlice("oitems", 2, 7n, 1n << 16n)])),
    ]) {
      await producer.send({
        topic: source,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: [{ key: null, value, partition: 0 }],
      });
    }
  } finally {
    await producer.disconnect();
  }

  const { merger, metrics } = testMerger({
    region: target,
    origin,
    db,
    spec,
    // Topics are the test's: the dead-letter topic keeps its 1 MiB limit.
    options: { ensureTopics: false },
  });
  defer(() => merger.stop());
  await merger.start();
  await waitFor(
    async () =>
      merger.status().state !== "running" ||
      (await db.client.query("SELECT 1 FROM oitems WHERE id = 2")).rowCount === 1,
    { description: "the message after the oversized ones to be merged", timeoutMs: 60_000 },
  );
  expect(merger.status()).toMatchObject({ state: "running", lastError: undefined });
  const { rows: got } = await db.client.query<{ id: string; hits: string }>(
    "SELECT id::text, hits::text FROM oitems ORDER BY id",
  );
  expect(got).toEqual([
    { id: "1", hits: "5" },
    { id: "2", hits: "7" },
  ]);

  const letters: Array<{ headers: Record<string, string>; value: Buffer | null }> = [];
  const consumer = testKafka(uniqueName("dlqreader")).consumer({
    groupId: uniqueName("dlqgroup"),
    maxBytesPerPartition: 16 * 1024 * 1024,
  });
  defer(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topic: dlq, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      letters.push({ headers, value: message.value });
      return Promise.resolve();
    },
  });
  await waitFor(() => letters.length >= 2, { description: "two dead letters", timeoutMs: 30_000 });
  const [whole, marked] = letters;
  expect(whole?.headers["georep-dlq-reason"]).toBe("oversized");
  expect(whole?.headers["georep-dlq-source"]).toBe(`${source}/0/1`);
  expect(whole?.value?.equals(compressible)).toBe(true);
  expect(marked?.headers["georep-dlq-reason"]).toBe("oversized");
  expect(marked?.headers["georep-dlq-source"]).toBe(`${source}/0/2`);
  expect(marked?.headers["georep-dlq-value-dropped"]).toBe(String(random.length));
  expect(marked?.value?.length).toBeLessThan(1024);
  expect(JSON.parse(marked?.value?.toString() ?? "null")).toMatchObject({
    dropped: "value",
    bytes: random.length,
  });
  expect(await metrics.render()).toMatch(/georep_dead_letters_total\{reason="oversized"\} 2/);
  expect(letters).toHaveLength(2);
});
