import type { Kafka } from "kafkajs";
import { toKafkaError } from "./errors.ts";

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
}

export interface TopicReport {
  readonly created: readonly string[];
  readonly existing: readonly string[];
}

/**
 * Creates the topics that do not exist yet and waits for their partition leaders; a topic that
 * exists is fine (its partition count is left alone). Safe to call concurrently from several
 * processes: "already exists" from the broker counts as success.
 * @throws KafkaError naming the topic when the broker refuses it.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: readonly TopicSpec[],
): Promise<TopicReport> {
  if (topics.length === 0) return { created: [], existing: [] };
  const admin = kafka.admin();
  try {
    await admin.connect();
    const present = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !present.has(t.topic));
    if (missing.length > 0) {
      try {
        await admin.createTopics({
          topics: missing.map((t) => ({
            topic: t.topic,
            numPartitions: t.partitions,
            replicationFactor: t.replicationFactor,
          })),
          waitForLeaders: true,
        });
      } catch (error) {
        // Another process may have won the race: only topics that are still missing are errors.
        const now = new Set(await admin.listTopics());
        const still = missing.find((t) => !now.has(t.topic));
        if (still !== undefined)
          throw toKafkaError(error, { operation: "ensure-topics", topic: still.topic });
      }
    }
    return {
      created: missing.map((t) => t.topic),
      existing: topics.filter((t) => present.has(t.topic)).map((t) => t.topic),
    };
  } catch (error) {
    throw toKafkaError(error, { operation: "ensure-topics" });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
