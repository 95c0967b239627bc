// Whether the regions merging a topic have applied everything in it (georep.progress holds the
// last applied offset per partition, in the merge transaction).
import type { Kafka } from "kafkajs";
import type pg from "pg";
import { testKafka, waitFor } from "@georep/testkit";

/** The end offset (next offset to be written) of each partition of `topic` that has records. */
async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(
      offsets
        .filter((o) => BigInt(o.high) > BigInt(o.low))
        .map((o) => [o.partition, BigInt(o.high)]),
    );
  } finally {
    await admin.disconnect();
  }
}

async function applied(pool: pg.Pool, topic: string): Promise<Map<number, bigint>> {
  const { rows } = await pool.query<{ partition: number; o: string }>(
    "SELECT partition, kafka_offset::text AS o FROM georep.progress WHERE topic = $1",
    [topic],
  );
  return new Map(rows.map((r) => [r.partition, BigInt(r.o) + 1n]));
}

/**
 * Waits until every region in `mergers` has applied `topic` (on the broker `kafka` reaches) up
 * to its current end (call it once nothing writes to the topic any more).
 */
export async function waitTopicApplied(
  topic: string,
  mergers: ReadonlyArray<{ id: string; pool: pg.Pool }>,
  kafka: Kafka = testKafka("georep-drill-drain"),
  timeoutMs = 60_000,
): Promise<void> {
  const ends = await endOffsets(kafka, topic);
  for (const m of mergers) {
    await waitFor(
      async () => {
        const done = await applied(m.pool, topic);
        return [...ends].every(([p, end]) => (done.get(p) ?? 0n) >= end);
      },
      {
        description: `${m.id} to apply ${topic} up to ${JSON.stringify([...ends].map(([p, e]) => `${p}:${e}`))}`,
        timeoutMs,
        intervalMs: 100,
      },
    );
  }
}
