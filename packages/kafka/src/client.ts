import { Kafka } from "kafkajs";
import type { Logger } from "@georep/observability";
import { ensureTopics } from "./admin.ts";
import { deleteGroup } from "./groups.ts";
import type { TopicReport, TopicSpec } from "./admin.ts";
import { kafkaLogLevel, pinoLogCreator } from "./log-creator.ts";
import { createProducer } from "./producer.ts";
import { readTail, topicEnds } from "./tail.ts";
import type { TailRecord } from "./tail.ts";
import type { Producer, ProducerOptions } from "./producer.ts";

export interface KafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** pino level name for kafkajs' own lines; default "warn". */
  readonly logLevel?: string;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
}

/** Our one handle on Kafka: everything kafkajs-specific stays behind it. */
export interface KafkaClient {
  producer(options?: ProducerOptions): Producer;
  readonly admin: {
    /** @throws KafkaError naming the topic the broker refused. */
    ensureTopics(topics: readonly TopicSpec[]): Promise<TopicReport>;
    /**
     * The newest record of every non-empty partition; records up to `maxRecordBytes` (default
     * 1 MiB) are fetched at once. @throws KafkaError
     */
    readTail(topic: string, timeoutMs: number, maxRecordBytes?: number): Promise<TailRecord[]>;
    /** End offset per partition (none for a missing topic). @throws KafkaError */
    topicEnds(topic: string): Promise<Map<number, bigint>>;
    /** Deletes a consumer group that has no members left. @throws KafkaError */
    deleteGroup(groupId: string): Promise<"deleted" | "absent">;
  };
  /** Closes every producer made by this client. */
  disconnect(): Promise<void>;
}

/** The kafkajs client behind createKafka, for sibling modules of this package (e.g. consumer.ts). */
export function buildKafkaJs(options: KafkaOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: kafkaLogLevel(options.logLevel),
    logCreator: pinoLogCreator(options.logger),
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    // Our callers retry on KafkaError.retriable themselves; kafkajs retries briefly underneath.
    retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 8 },
  });
}

export function createKafka(options: KafkaOptions): KafkaClient {
  const kafka = buildKafkaJs(options);
  const producers = new Set<Producer>();
  return {
    producer(producerOptions) {
      const p = createProducer(kafka, options.logger, producerOptions);
      producers.add(p);
      return {
        connect: (topics) => p.connect(topics),
        send: (records) => p.send(records),
        close: async () => {
          producers.delete(p);
          await p.close();
        },
      };
    },
    admin: {
      ensureTopics: (topics) => ensureTopics(kafka, topics),
      readTail: (topic, timeoutMs, maxRecordBytes) =>
        readTail(kafka, topic, timeoutMs, maxRecordBytes),
      topicEnds: (topic) => topicEnds(kafka, topic),
      deleteGroup: (groupId) => deleteGroup(kafka, groupId),
    },
    async disconnect() {
      const all = [...producers];
      producers.clear();
      await Promise.all(all.map((p) => p.close()));
    },
  };
}
