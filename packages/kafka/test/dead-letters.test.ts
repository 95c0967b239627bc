import { describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { createDeadLetterSender, markedDeadLetter } from "../src/dead-letters.ts";
import { KafkaError } from "../src/errors.ts";

const record = (value: Buffer) => ({
  topic: "georep.dlq.eu-west",
  key: null,
  value,
  headers: { "georep-dlq-reason": "oversized", "georep-dlq-source": "georep.us-east/0/7" },
});

/**
 * A producer that refuses every batch holding a value over `limit` bytes as the broker would, and
 * acknowledges the partitions sent to (none when `acknowledge` is false, as kafkajs 2.2.4 can).
 */
function fakeKafka(limit: number, acknowledge = true) {
  const sent: Array<{ compression: unknown; values: Array<Buffer | null> }> = [];
  const producer = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    sendBatch: (b: {
      compression?: unknown;
      topicMessages: Array<{
        topic: string;
        messages: Array<{ value: Buffer | null; partition?: number }>;
      }>;
    }) => {
      const values = b.topicMessages.flatMap((t) => t.messages.map((m) => m.value));
      if (values.some((v) => (v?.length ?? 0) > limit))
        return Promise.reject(
          // What kafkajs throws (KafkaJSProtocolError), by the fields toKafkaError reads.
          Object.assign(new Error("The request included a message larger than the max size"), {
            name: "KafkaJSProtocolError",
            type: "MESSAGE_TOO_LARGE",
            retriable: false,
          }),
        );
      sent.push({ compression: b.compression, values });
      const acks = b.topicMessages.flatMap((t) =>
        t.messages.map((m) => ({ topicName: t.topic, partition: m.partition ?? -1, errorCode: 0 })),
      );
      return Promise.resolve(acknowledge ? acks : []);
    },
  };
  return { kafka: { producer: () => producer } as unknown as Kafka, sent };
}

describe("dead letters", () => {
  it("fail as retriable when kafka resolves the send without acknowledging their partition", async () => {
    const { kafka } = fakeKafka(1000, false);
    const sending = createDeadLetterSender(kafka).send([record(Buffer.from("a"))]);
    await expect(sending).rejects.toBeInstanceOf(KafkaError);
    await expect(sending).rejects.toMatchObject({ retriable: true });
  });

  it("are sent gzip-compressed, in one batch when they fit", async () => {
    const { kafka, sent } = fakeKafka(1000);
    await createDeadLetterSender(kafka).send([record(Buffer.from("a")), record(Buffer.from("b"))]);
    expect(sent).toEqual([{ compression: 1, values: [Buffer.from("a"), Buffer.from("b")] }]);
  });

  it("go as a small marked record when the topic refuses one as too large", async () => {
    const { kafka, sent } = fakeKafka(1000);
    const big = Buffer.alloc(5000, 7);
    await createDeadLetterSender(kafka).send([record(Buffer.from("a")), record(big)]);
    expect(sent.map((s) => s.values.length)).toEqual([1, 1]);
    expect(sent[0]?.values[0]).toEqual(Buffer.from("a"));
    const marker = JSON.parse(sent[1]?.values[0]?.toString() ?? "null") as unknown;
    expect(marker).toMatchObject({ dropped: "value", bytes: 5000 });
  });

  it("keep reason, source and the dropped size in the marked record's headers", () => {
    const marked = markedDeadLetter({
      ...record(Buffer.alloc(10)),
      key: Buffer.alloc(10_000),
      headers: { ...record(Buffer.alloc(0)).headers, huge: "x".repeat(10_000) },
    });
    expect(marked.key).toBeNull();
    expect(marked.headers).toMatchObject({
      "georep-dlq-reason": "oversized",
      "georep-dlq-source": "georep.us-east/0/7",
      "georep-dlq-value-dropped": "10",
      huge: "(dropped: 10000 bytes)",
    });
  });

  it("still throw a failure that is not about size", async () => {
    const kafka = {
      producer: () => ({
        connect: () => Promise.resolve(),
        disconnect: () => Promise.resolve(),
        sendBatch: () => Promise.reject(new Error("broker gone")),
      }),
    } as unknown as Kafka;
    await expect(createDeadLetterSender(kafka).send([record(Buffer.from("a"))])).rejects.toThrow(
      KafkaError,
    );
  });
});
