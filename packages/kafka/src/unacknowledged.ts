// kafkajs 2.2.4 can resolve a send without having sent part of it. Its retry keeps the answers of
// brokers that already acknowledged and asks only the others again; when a partition's leader
// died and moved to one of those brokers, that partition's records are never sent, yet the send
// resolves (kafkajs#1303, open; a fix was proposed in kafkajs PR #1798). Found by the broker-loss
// chaos test: a round of writes never reached the other regions, the capture slot having
// confirmed it. So every send is checked against the partitions the broker acknowledged.
import { KafkaError } from "./errors.ts";

/** A partition a send went to (consumer-types.ts has the same shape; importing it makes a cycle). */
interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** One acknowledged partition as kafkajs reports it (its RecordMetadata). */
export interface PartitionAck {
  readonly topicName: string;
  readonly partition: number;
  readonly errorCode: number;
}

/**
 * Every partition `records` go to that `acks` does not acknowledge without an error, once each,
 * in the order first seen. Pure.
 */
export function unacknowledged(
  records: readonly TopicPartition[],
  acks: readonly PartitionAck[],
): TopicPartition[] {
  const id = (topic: string, partition: number): string => `${topic}:${partition}`;
  const acked = new Set(
    acks.filter((a) => a.errorCode === 0).map((a) => id(a.topicName, a.partition)),
  );
  const missing = new Map<string, TopicPartition>();
  for (const r of records)
    if (!acked.has(id(r.topic, r.partition)))
      missing.set(id(r.topic, r.partition), { topic: r.topic, partition: r.partition });
  return [...missing.values()];
}

/**
 * @throws KafkaError (retriable, so the caller sends the records again) naming the partitions
 * `records` go to that `acks` leaves unacknowledged.
 */
export function assertAcknowledged(
  records: readonly TopicPartition[],
  acks: readonly PartitionAck[],
): void {
  const missing = unacknowledged(records, acks);
  const first = missing[0];
  if (first !== undefined)
    throw new KafkaError(
      `kafka resolved the send without acknowledging ${missing.map((m) => `${m.topic}:${m.partition}`).join(", ")}; sending again`,
      { retriable: true, context: { operation: "send", topic: first.topic } },
    );
}
