// Topic settings against the real broker: a topic georep creates carries every setting
// explicitly; an existing topic with another retention is reported (log line and gauge) and left
// as it is.
import { Writable } from "node:stream";
import { ConfigResourceTypes } from "kafkajs";
import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "@georep/contract";
import { createKafka, reportTopicConfig, topicSettingsSchema } from "@georep/kafka";
import { createLogger, createMetrics } from "@georep/observability";
import {
  createTestTopic,
  readEndpoints,
  testKafka,
  uniqueName,
  useCleanups,
} from "@georep/testkit";

const settings = topicSettingsSchema.parse({});
const cleanup = useCleanups();

/** The topic's own config values (those set on the topic, not the broker's defaults). */
async function topicConfig(topic: string): Promise<Record<string, string>> {
  const admin = testKafka("georep-topic-settings-test").admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      includeSynonyms: false,
    });
    return Object.fromEntries(
      (resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]),
    );
  } finally {
    await admin.disconnect();
  }
}

function client() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ name: "topic-settings-test", destination: sink });
  const kafka = createKafka({
    brokers: readEndpoints().kafka.brokers,
    clientId: "georep-topic-settings-test",
    logger,
  });
  cleanup(() => kafka.disconnect());
  return { kafka, logger, lines };
}

const spec = (topic: string) => ({
  topic,
  partitions: 1,
  replicationFactor: 1,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  settings,
});

describe("topic settings on a real broker", () => {
  it("creates a topic with every setting explicit and finds nothing to report", async () => {
    const { kafka } = client();
    const name = uniqueName("georep-settings");
    cleanup(async () => {
      const admin = testKafka().admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [name] }).finally(() => void admin.disconnect());
    });
    const created = await kafka.admin.ensureTopics([spec(name)]);
    expect(created).toEqual({ created: [name], existing: [], mismatches: [] });
    expect(await topicConfig(name)).toMatchObject({
      "retention.ms": "604800000",
      "cleanup.policy": "delete",
      "min.insync.replicas": "1",
      "compression.type": "producer",
      "max.message.bytes": String(MAX_MESSAGE_BYTES),
    });
    const again = await kafka.admin.ensureTopics([spec(name)]);
    expect(again).toEqual({ created: [], existing: [name], mismatches: [] });
  });

  it("reports an existing topic's other retention and leaves it unchanged", async () => {
    const { kafka, logger, lines } = client();
    const topic = await createTestTopic(uniqueName("georep-settings"));
    cleanup(() => topic.delete());
    const admin = testKafka().admin();
    await admin.connect();
    await admin
      .alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic.name,
            configEntries: [{ name: "retention.ms", value: "3600000" }],
          },
        ],
      })
      .finally(() => admin.disconnect());

    const report = await kafka.admin.ensureTopics([spec(topic.name)]);
    expect(report.mismatches).toEqual([
      { topic: topic.name, setting: "retention.ms", actual: "3600000", wanted: "604800000" },
    ]);
    const metrics = createMetrics();
    reportTopicConfig(report, logger, metrics);
    expect(await metrics.render()).toContain(
      `georep_topic_config_mismatches{topic="${topic.name}"} 1`,
    );
    const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warning).toContainEqual(
      expect.objectContaining({
        level: 40,
        topic: topic.name,
        setting: "retention.ms",
        actual: "3600000",
        wanted: "604800000",
      }),
    );
    const after = await topicConfig(topic.name);
    // Retention untouched; the message limit raised as before.
    expect(after["retention.ms"]).toBe("3600000");
    expect(after["max.message.bytes"]).toBe(String(MAX_MESSAGE_BYTES));
  });
});
