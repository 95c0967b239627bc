// The newest records of each partition of a topic, read once at start (capture compares what its
// region already shipped, and last reported, with what its database holds). A throwaway consumer
// group, deleted after.
import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";
import { settlesWithin } from "@georep/retry";
import { toKafkaError } from "./errors.ts";

/** Waits for `p` at most `ms`; its failure or lateness does not matter to the caller. */
async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  await settlesWithin(p, ms);
}

/**
 * The tail read's throwaway groups are `georep-tail.<topic>.<uuid>`: named after the topic, so a
 * region's ACLs can allow its own (region-acls.ts). '.' ends the topic: region ids have none.
 */
export const TAIL_GROUP_PREFIX = "georep-tail.";

export interface TailRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly value: Buffer | null;
}

export interface TailOptions {
  /** The fetch size per partition (default 1 MiB): the topic's message limit, so a large record is fetched in one go. */
  readonly maxRecordBytes?: number | undefined;
  /** Records per partition, newest last (default 1). */
  readonly depth?: number | undefined;
  /** Which records to return (default all); the others are read past and dropped at once. */
  readonly keep?: ((value: Buffer | null) => boolean) | undefined;
}

/**
 * Reads the last `depth` records of every non-empty partition of `topic`, in offset order per
 * partition; a missing or empty topic gives none. Bounded by `timeoutMs`.
 * @throws KafkaError when the broker cannot answer in time.
 */
export async function readTail(
  kafka: Kafka,
  topic: string,
  timeoutMs: number,
  options: TailOptions = {},
): Promise<TailRecord[]> {
  const maxRecordBytes = options.maxRecordBytes ?? 1024 * 1024;
  const depth = BigInt(Math.max(1, options.depth ?? 1));
  const admin = kafka.admin();
  const groupId = `${TAIL_GROUP_PREFIX}${topic}.${randomUUID()}`;
  try {
    await admin.connect();
    if (!(await admin.listTopics()).includes(topic)) return [];
    const offsets = (await admin.fetchTopicOffsets(topic))
      .map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }))
      .filter((o) => o.high > o.low)
      .map((o) => ({
        ...o,
        from: o.high - depth > o.low ? o.high - depth : o.low,
        /** The newest offset read so far: a record redelivered after a rebalance is read past. */
        through: undefined as bigint | undefined,
      }));
    if (offsets.length === 0) return [];
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxBytesPerPartition: maxRecordBytes,
      maxBytes: Math.max(10 * 1024 * 1024, maxRecordBytes),
    });
    const found = new Map<number, TailRecord[]>();
    let complete = 0;
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: false });
      let finished = false;
      await new Promise<void>((resolve, reject) => {
        const done = (error?: unknown): void => {
          if (finished) return;
          finished = true;
          if (error === undefined) resolve();
          else
            reject(
              error instanceof Error
                ? error
                : new Error("reading the tail failed", { cause: error }),
            );
        };
        timer = setTimeout(() => {
          done(new Error(`no answer for the tail of ${topic} within ${timeoutMs} ms`));
        }, timeoutMs);
        consumer
          .run({
            autoCommit: false,
            eachMessage: ({ partition, message }) => {
              const o = offsets.find((x) => x.partition === partition);
              const offset = BigInt(message.offset);
              if (o === undefined || offset < o.from || offset >= o.high) return Promise.resolve();
              const records = found.get(partition) ?? [];
              if (offset <= (o.through ?? -1n)) return Promise.resolve();
              o.through = offset;
              if (options.keep?.(message.value) !== false)
                records.push({ partition, offset, value: message.value });
              found.set(partition, records);
              if (offset === o.high - 1n) complete += 1;
              if (complete === offsets.length) done();
              return Promise.resolve();
            },
          })
          .then(() => {
            // After a timeout the consumer is being torn down: seeking it would throw.
            if (finished) return;
            for (const o of offsets)
              consumer.seek({ topic, partition: o.partition, offset: o.from.toString() });
          })
          .catch(done);
      });
    } finally {
      clearTimeout(timer);
      // Best effort and bounded: a consumer that never joined may not leave cleanly, and an empty
      // group expires by itself.
      await bounded(consumer.disconnect(), 5_000);
      await bounded(admin.deleteGroups([groupId]), 5_000);
    }
    return [...found.values()]
      .flat()
      .sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
  } catch (error) {
    throw toKafkaError(error, { operation: "read-tail", topic });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * The end offset (high watermark) of every partition of `topic`; a missing topic has none.
 * @throws KafkaError when the broker cannot answer.
 */
export async function topicEnds(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    if (!(await admin.listTopics()).includes(topic)) return new Map();
    return new Map(
      (await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)] as const),
    );
  } catch (error) {
    throw toKafkaError(error, { operation: "read-tail", topic });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
