import type { Kafka } from "kafkajs";
import { toKafkaError } from "./errors.ts";

const CREATE_ATTEMPTS = 6;

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
    let pending = missing;
    // A busy broker answers a creation with a retriable error (e.g. UNKNOWN_TOPIC_OR_PARTITION
    // while leaders are elected) although the topic is on its way: look again, then retry.
    for (let attempt = 1; pending.length > 0; attempt++) {
      try {
        await admin.createTopics({
          topics: pending.map((t) => ({
            topic: t.topic,
            numPartitions: t.partitions,
            replicationFactor: t.replicationFactor,
          })),
          waitForLeaders: true,
        });
        break;
      } catch (error) {
        // Another process may have won the race: only topics that are still missing are errors.
        const now = new Set(await admin.listTopics());
        pending = pending.filter((t) => !now.has(t.topic));
        const still = pending[0];
        if (still === undefined) break;
        const retriable = (error as { retriable?: unknown }).retriable === true;
        if (!retriable || attempt >= CREATE_ATTEMPTS)
          throw toKafkaError(error, { operation: "ensure-topics", topic: still.topic });
        await new Promise((r) => setTimeout(r, 250 * attempt));
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
