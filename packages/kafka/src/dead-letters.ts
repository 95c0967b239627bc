import { createHash } from "node:crypto";
import { CompressionTypes } from "kafkajs";
import type { Kafka, Producer } from "kafkajs";
import { buildKafkaJs, explainingRefusals } from "./client.ts";
import type { KafkaOptions } from "./client.ts";
import type { DeadLetterRecord } from "./consumer-types.ts";
import { isRecordTooLarge, toKafkaError } from "./errors.ts";
import { installGzipCodec } from "./gzip-codec.ts";
import { assertAcknowledged } from "./unacknowledged.ts";

installGzipCodec();

/** Header of a dead letter whose value was dropped: the original value's size in bytes. */
export const VALUE_DROPPED_HEADER = "georep-dlq-value-dropped";

/**
 * The partition every dead letter goes to. A send must name its partitions to be checked against
 * what Kafka acknowledged (unacknowledged.ts: kafkajs can resolve a send it never made); dead
 * letters are few, and one partition keeps them in the order they were set aside.
 */
export const DEAD_LETTER_PARTITION = 0;

/** Keys and header values above this are dropped from a marked record, so it is always small. */
const MARKED_FIELD_BYTES = 4 * 1024;

export interface DeadLetterSender {
  /**
   * Sends the records gzip-compressed. A record the dead-letter topic refuses as too large goes
   * as a marked record instead (`markedDeadLetter`): a message can never make this fail.
   * @throws KafkaError when the broker does not acknowledge them (acks=all) for another reason.
   */
  send(records: readonly DeadLetterRecord[]): Promise<void>;
  close(): Promise<void>;
}

const size = (v: Buffer | string | undefined | null): number =>
  v === undefined || v === null ? 0 : Buffer.byteLength(v);

/**
 * The record as a dead letter that always fits: reason, detail and source headers kept, the value
 * replaced by a small JSON marker (its size and sha256, so it can be matched to the source
 * message, which stays on its topic until retention), oversized key or headers dropped.
 */
export function markedDeadLetter(r: DeadLetterRecord): DeadLetterRecord {
  const bytes = size(r.value);
  const headers: Record<string, Buffer | string | undefined> = {};
  for (const [name, value] of Object.entries(r.headers))
    headers[name] = size(value) <= MARKED_FIELD_BYTES ? value : `(dropped: ${size(value)} bytes)`;
  headers[VALUE_DROPPED_HEADER] = String(bytes);
  const marker = {
    dropped: "value",
    bytes,
    sha256: createHash("sha256")
      .update(r.value ?? Buffer.alloc(0))
      .digest("hex"),
    why: "the dead-letter topic refused the record as too large; the original stays on its source topic (georep-dlq-source) until retention",
  };
  return {
    topic: r.topic,
    key: size(r.key) <= MARKED_FIELD_BYTES ? r.key : null,
    value: Buffer.from(JSON.stringify(marker)),
    headers,
  };
}

/** An idempotent producer, connected on first use and rebuilt after a failed send. */
export function createDeadLetterSender(kafka: Kafka): DeadLetterSender {
  let producer: Promise<Producer> | undefined;

  const sendBatch = async (records: readonly DeadLetterRecord[]): Promise<void> => {
    const p = (producer ??= (async () => {
      const made = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await made.connect();
      return made;
    })());
    try {
      const acks = await (
        await p
      ).sendBatch({
        acks: -1,
        // A dead letter is often an oversized message that only reached us compressed.
        compression: CompressionTypes.GZIP,
        topicMessages: records.map((r) => ({
          topic: r.topic,
          messages: [
            { partition: DEAD_LETTER_PARTITION, key: r.key, value: r.value, headers: r.headers },
          ],
        })),
      });
      assertAcknowledged(
        records.map((r) => ({ topic: r.topic, partition: DEAD_LETTER_PARTITION })),
        acks,
      );
    } catch (error) {
      // A fresh producer after any failure keeps idempotence sequence numbers in step.
      producer = undefined;
      await p.then((x) => x.disconnect()).catch(() => undefined);
      throw toKafkaError(error, { operation: "send", topic: records[0]?.topic ?? "" });
    }
  };

  return {
    async send(records) {
      if (records.length === 0) return;
      try {
        await sendBatch(records);
        return;
      } catch (error) {
        if (!isRecordTooLarge(error)) throw error;
      }
      // Some record is too large even compressed: one at a time, marked when refused.
      for (const r of records) {
        try {
          await sendBatch([r]);
        } catch (error) {
          if (!isRecordTooLarge(error)) throw error;
          await sendBatch([markedDeadLetter(r)]);
        }
      }
    },
    async close() {
      const p = producer;
      producer = undefined;
      if (p !== undefined) await (await p).disconnect();
    },
  };
}

/**
 * A dead-letter sender of its own, for a consumer whose dead letters go to another cluster than
 * the one it reads (per-region clusters: each region's dead letters stay on its own cluster).
 */
export function createDeadLetters(options: KafkaOptions): DeadLetterSender {
  const sender = createDeadLetterSender(buildKafkaJs(options));
  const named = explainingRefusals(options);
  return { send: (records) => named(sender.send(records)), close: () => sender.close() };
}
