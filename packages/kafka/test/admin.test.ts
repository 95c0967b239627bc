import { afterEach, describe, expect, it, vi } from "vitest";
import { KafkaJSError, KafkaJSNonRetriableError } from "kafkajs";
import type { Kafka } from "kafkajs";
import { ensureTopics } from "../src/admin.ts";
import { KafkaError } from "../src/errors.ts";

const spec = { topic: "georep.us-east", partitions: 6, replicationFactor: 1 };

/** An admin client whose createTopics answers with `outcomes` in turn (an error is thrown). */
function fakeKafka(outcomes: unknown[], listTopics: () => Promise<string[]>) {
  const creations: unknown[] = [];
  const admin = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    listTopics,
    describeCluster: () => Promise.resolve({ brokers: [{ nodeId: 1 }] }),
    // Every topic asked for is there with a leader (ensureTopics waits for that).
    fetchTopicMetadata: ({ topics }: { topics: string[] }) =>
      Promise.resolve({ topics: topics.map((name) => ({ name, partitions: [{ leader: 1 }] })) }),
    createTopics: (request: unknown) => {
      creations.push(request);
      const outcome = outcomes.shift();
      return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(true);
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, creations };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("ensureTopics", () => {
  it("throws a refusal at once as a KafkaError naming the topic, the broker's error its cause", async () => {
    const refusal = new KafkaJSNonRetriableError("Invalid replication factor");
    const { kafka, creations } = fakeKafka([refusal], () => Promise.resolve([]));
    const error = await ensureTopics(kafka, [spec]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).retriable).toBe(false);
    expect((error as KafkaError).context).toEqual({
      operation: "ensure-topics",
      topic: spec.topic,
    });
    expect((error as KafkaError).cause).toBe(refusal);
    expect(creations).toHaveLength(1);
  });

  it("keeps the creation's error when the broker cannot list topics afterwards", async () => {
    const refusal = new KafkaJSNonRetriableError("Invalid replication factor");
    let lists = 0;
    const { kafka } = fakeKafka([refusal], () =>
      lists++ === 0 ? Promise.resolve([]) : Promise.reject(new Error("connection closed")),
    );
    const error = await ensureTopics(kafka, [spec]).catch((e: unknown) => e);
    expect((error as KafkaError).cause).toBe(refusal);
  });

  it("retries a retriable error with backoff until the topic is created", async () => {
    vi.useFakeTimers();
    const busy = () => new KafkaJSError("Leader not available", { retriable: true });
    const { kafka, creations } = fakeKafka([busy(), busy(), true], () => Promise.resolve([]));
    const report = ensureTopics(kafka, [spec]);
    await vi.runAllTimersAsync();
    await expect(report).resolves.toEqual({
      created: [spec.topic],
      existing: [],
      mismatches: [],
    });
    expect(creations).toHaveLength(3);
  });

  it("gives up on a retriable error after six attempts, within about four seconds", async () => {
    vi.useFakeTimers();
    const busy = new KafkaJSError("Leader not available", { retriable: true });
    const { kafka, creations } = fakeKafka(Array<unknown>(10).fill(busy), () =>
      Promise.resolve([]),
    );
    const started = Date.now();
    const report = ensureTopics(kafka, [spec]).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const error = await report;
    expect((error as KafkaError).cause).toBe(busy);
    expect(creations).toHaveLength(6);
    expect(Date.now() - started).toBeLessThanOrEqual(250 + 500 + 1_000 + 1_250 + 1_250);
  });
});
