import { ConfigResourceTypes, type EachMessagePayload, Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { createTestTopic, testKafka, uniqueName, waitFor } from "@georep/testkit";

describe("Kafka (KRaft, one broker)", () => {
  it("is one broker that refuses to auto-create topics", async () => {
    const admin = testKafka(uniqueName("ground_admin")).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(1);
      const configs = await admin.describeConfigs({
        resources: [
          {
            type: ConfigResourceTypes.BROKER,
            name: String(cluster.brokers[0]?.nodeId ?? 1),
            configNames: ["auto.create.topics.enable"],
          },
        ],
        includeSynonyms: false,
      });
      const entry = configs.resources[0]?.configEntries.find(
        (e) => e.configName === "auto.create.topics.enable",
      );
      expect(entry?.configValue).toBe("false");
    } finally {
      await admin.disconnect();
    }
  });

  it("delivers an idempotent acks=all message to a consumer group", async () => {
    const topic = await createTestTopic(uniqueName("ground-topic"), 3);
    const kafka = testKafka(uniqueName("ground_client"));
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const consumer = kafka.consumer({ groupId: uniqueName("ground_group") });
    const received: EachMessagePayload[] = [];
    try {
      await producer.connect();
      const [meta] = await producer.send({
        topic: topic.name,
        acks: -1,
        messages: [{ key: "camera-1", value: "people_in=3" }],
      });
      expect(meta?.errorCode).toBe(0);

      await consumer.connect();
      await consumer.subscribe({ topic: topic.name, fromBeginning: true });
      await consumer.run({
        eachMessage: (payload) => {
          received.push(payload);
          return Promise.resolve();
        },
      });
      const got = await waitFor(() => received[0], {
        description: `a message on ${topic.name}`,
        timeoutMs: 30_000,
      });
      expect(got.message.key?.toString()).toBe("camera-1");
      expect(got.message.value?.toString()).toBe("people_in=3");
      expect(got.partition).toBe(meta?.partition);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await topic.delete();
    }
  });
});
