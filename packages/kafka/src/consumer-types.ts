// Types of the batch consumer (see consumer.ts for its lifecycle).
import type { Logger } from "@georep/observability";
import type { KafkaOptions } from "./client.ts";

export interface ConsumedMessage {
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | string | undefined>>;
  /** When the producer appended it (Kafka's CreateTime), epoch ms; absent when unknown. */
  readonly timestamp?: number;
}

export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly ConsumedMessage[];
}

export interface BatchControls {
  heartbeat(): Promise<void>;
  /** False once stop() was called or the partition was re-positioned: stop early. */
  isActive(): boolean;
}

/** `consumed`: every message up to `through` is durable; `seek`: read again from `offset`. */
export type BatchOutcome =
  | { readonly kind: "consumed"; readonly through: bigint }
  | { readonly kind: "seek"; readonly offset: bigint };

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface BatchConsumerOptions {
  readonly kafka: KafkaOptions;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly logger: Logger;
  /** Next offset to read for each assigned partition, from the caller's durable store ("t:p" -> offset; absent = Kafka's committed or earliest). */
  readonly startOffsets: (
    assigned: readonly TopicPartition[],
  ) => Promise<ReadonlyMap<string, bigint>>;
  readonly onBatch: (batch: ConsumedBatch, controls: BatchControls) => Promise<BatchOutcome>;
  /** The consumer gave up (non-retriable error); the owner decides what to do. */
  readonly onCrash?: (error: unknown) => void;
  /**
   * The consumer crashed because no broker answered and restarts itself after a pause
   * (consumer.ts); for a metric. Called once per restart scheduled.
   */
  readonly onRestart?: (error: unknown) => void;
  readonly maxBytesPerPartition?: number;
  readonly maxWaitTimeMs?: number;
  readonly sessionTimeoutMs?: number;
  /** Partitions whose batches run at the same time (each partition stays in order); default 1. */
  readonly concurrentPartitions?: number;
}

/** A message set aside: original key, value and headers, plus the reason headers. */
export interface DeadLetterRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | string | undefined>>;
}

export interface BatchConsumer {
  start(): Promise<void>;
  /**
   * Publishes dead letters (acks=all, idempotent producer); resolves once Kafka has them.
   * @throws KafkaError when the broker does not acknowledge them.
   */
  deadLetter(records: readonly DeadLetterRecord[]): Promise<void>;
  /** Lets the batch in progress finish, then leaves the group. */
  stop(): Promise<void>;
}
