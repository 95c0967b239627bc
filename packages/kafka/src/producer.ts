// Producer lifecycle:
//
//   idle ──send()──▶ connecting ──▶ connected ──send() ok──▶ connected
//   connected ──send() fails──▶ broken (kafkajs producer discarded) ──next send()──▶ connecting
//   any ──close()──▶ closed (send() throws)
//
// A failed send discards the kafkajs producer: a fresh one gets a fresh producer id, so the
// idempotence sequence numbers can never be out of step after a partial failure. A send that
// kafkajs resolves without an acknowledgement for every partition is failed too
// (unacknowledged.ts).
import { CompressionTypes, Partitioners } from "kafkajs";
import type { Kafka, Producer as KafkaJsProducer, TopicMessages } from "kafkajs";
import type { Logger } from "@georep/observability";
import { installFastCrc32c } from "./crc32c.ts";
import { KafkaError, toKafkaError } from "./errors.ts";
import { compressionFor } from "./compression-choice.ts";
import type { Compression } from "./compression-choice.ts";
import { installGzipCodec } from "./gzip-codec.ts";
import type { ProducerRecord } from "./producer-record.ts";
import { splitByPartitionBytes } from "./split.ts";
import { assertAcknowledged } from "./unacknowledged.ts";

/** Whether kafkajs checksums record batches with our crc32c (see crc32c.ts). */
export const fastCrc32c = installFastCrc32c();
installGzipCodec();

export type { ProducerRecord } from "./producer-record.ts";

export type { Compression } from "./compression-choice.ts";

export interface ProducerOptions {
  /**
   * Bytes per partition in one request. The broker's message.max.bytes (1 MiB by default)
   * bounds a partition's whole record batch, so a send is split into requests below it.
   */
  readonly maxPartitionBytes?: number;
  /**
   * Default "none". Our gzip is level 1 (gzip-codec.ts): cheap, and ~20x fewer bytes on JSON.
   * Small requests go uncompressed whatever this says (compression-choice.ts).
   */
  readonly compression?: Compression;
  /** Broker-side wait for acks=all, ms. Default 30 000. */
  readonly ackTimeoutMs?: number;
}

export interface Producer {
  /**
   * Connects ahead of the first send (kafkajs' connect, producer id, and the metadata of
   * `topics`), so the first batch waits for none of it. Optional: send() connects by itself.
   * @throws KafkaError when the broker cannot be reached (a later send() tries again).
   */
  connect(topics?: readonly string[]): Promise<void>;
  /**
   * Sends records with acks=all through the idempotent producer; resolves once every record
   * is acknowledged by all in-sync replicas.
   * @throws KafkaError (retriable or not) with the topic/partition when known.
   */
  send(records: readonly ProducerRecord[]): Promise<void>;
  close(): Promise<void>;
}

function group(records: readonly ProducerRecord[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const r of records) {
    let t = byTopic.get(r.topic);
    if (t === undefined) {
      t = { topic: r.topic, messages: [] };
      byTopic.set(r.topic, t);
    }
    t.messages.push({
      partition: r.partition,
      key: r.key,
      value: r.value,
      ...(r.headers === undefined ? {} : { headers: r.headers }),
    });
  }
  return [...byTopic.values()];
}

export function createProducer(
  kafka: Kafka,
  logger: Logger,
  options: ProducerOptions = {},
): Producer {
  const configured = options.compression ?? "none";
  let current: Promise<KafkaJsProducer> | undefined;
  let closed = false;

  const connect = (): Promise<KafkaJsProducer> => {
    // kafkajs keeps per-partition sequence numbers that assume one request in flight per
    // connection; idempotence with more than one in flight can reorder retried batches.
    const p = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Partitions are always explicit; the default partitioner is never consulted.
      createPartitioner: Partitioners.DefaultPartitioner,
      // Idempotence wants unlimited retries; time still bounds a send, after which our caller retries.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 30_000 },
    });
    const connecting = p.connect().then(() => p);
    current = connecting;
    connecting.catch(() => {
      if (current === connecting) current = undefined;
    });
    return connecting;
  };

  const discard = async (p: Promise<KafkaJsProducer>): Promise<void> => {
    if (current === p) current = undefined;
    try {
      await (await p).disconnect();
    } catch (error) {
      logger.debug({ err: error }, "discarding a broken kafka producer failed");
    }
  };

  return {
    async connect(topics = []) {
      if (closed) return;
      try {
        const producer = await (current ?? connect());
        // A batch without messages produces nothing; kafkajs still loads the topics' metadata.
        if (topics.length > 0)
          await producer.sendBatch({
            topicMessages: topics.map((topic) => ({ topic, messages: [] })),
            acks: -1,
          });
      } catch (error) {
        throw toKafkaError(error, { operation: "connect" });
      }
    },
    async send(records) {
      if (closed)
        throw new KafkaError("kafka producer is closed", {
          retriable: false,
          context: { operation: "send" },
        });
      if (records.length === 0) return;
      const p = current ?? connect();
      try {
        const producer = await p;
        for (const chunk of splitByPartitionBytes(
          records,
          options.maxPartitionBytes ?? 900 * 1024,
        )) {
          const acks = await producer.sendBatch({
            topicMessages: group(chunk),
            acks: -1,
            timeout: options.ackTimeoutMs ?? 30_000,
            compression:
              compressionFor(chunk, configured) === "gzip"
                ? CompressionTypes.GZIP
                : CompressionTypes.None,
          });
          // kafkajs may resolve without sending some partitions (unacknowledged.ts): fail the
          // send, so the caller sends every record again on a fresh producer.
          assertAcknowledged(chunk, acks);
        }
      } catch (error) {
        const first = records[0];
        const failure = toKafkaError(error, {
          operation: "send",
          ...(first === undefined ? {} : { topic: first.topic }),
        });
        await discard(p);
        throw failure;
      }
    },
    async close() {
      closed = true;
      const p = current;
      current = undefined;
      if (p !== undefined) {
        try {
          await (await p).disconnect();
        } catch (error) {
          throw toKafkaError(error, { operation: "disconnect" });
        }
      }
    },
  };
}
