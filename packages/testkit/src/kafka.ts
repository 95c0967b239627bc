import { Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { createKafka } from "@georep/kafka";
import { silentLogger } from "@georep/observability";
import { readEndpoints } from "./endpoints.ts";

const levels: Record<string, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/**
 * A kafkajs client for the stack's broker. kafkajs logs transient coordinator errors that it
 * retries by itself, so it is silent unless GEOREP_KAFKAJS_LOG (nothing|error|warn|info|debug) says.
 */
export function testKafka(clientId = "georep-test", overrides: Partial<KafkaConfig> = {}): Kafka {
  const level = levels[process.env["GEOREP_KAFKAJS_LOG"] ?? "nothing"] ?? logLevel.NOTHING;
  return new Kafka({
    clientId,
    brokers: readEndpoints().kafka.brokers,
    logLevel: level,
    ...overrides,
  });
}

export interface TestTopic {
  readonly name: string;
  readonly partitions: number;
  /** Deletes the topic; ignores a topic that is already gone. */
  delete(): Promise<void>;
}

/**
 * Creates a topic (replication factor 1) and waits for its partition leaders.
 * Pass a name from `uniqueName()` so each test has its own topic.
 * @throws Error when the topic already exists or the broker refuses it.
 */
export async function createTestTopic(
  name: string,
  partitions = 1,
  options: { readonly maxMessageBytes?: number } = {},
): Promise<TestTopic> {
  const kafka = testKafka("georep-testkit-admin");
  // The engine's own creation: it retries a busy broker's transient refusals and waits until
  // every partition has a leader (a loaded broker answers a new topic's metadata with
  // UNKNOWN_TOPIC_OR_PARTITION for a while, which failed tests under load).
  const client = createKafka({
    brokers: readEndpoints().kafka.brokers,
    clientId: "georep-testkit-admin",
    logger: silentLogger(),
  });
  const report = await client.admin
    .ensureTopics([{ topic: name, partitions, replicationFactor: 1, ...options }])
    .finally(() => client.disconnect());
  if (!report.created.includes(name))
    throw new Error(`Kafka topic ${name} already exists: use uniqueName() for test topics.`);
  return {
    name,
    partitions,
    async delete(): Promise<void> {
      const a = kafka.admin();
      await a.connect();
      try {
        const existing = await a.listTopics();
        if (existing.includes(name)) await a.deleteTopics({ topics: [name] });
      } finally {
        await a.disconnect();
      }
    },
  };
}
