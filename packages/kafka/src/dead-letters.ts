import type { Kafka, Producer } from "kafkajs";
import type { DeadLetterRecord } from "./consumer-types.ts";
import { toKafkaError } from "./errors.ts";

export interface DeadLetterSender {
  /** @throws KafkaError when the broker does not acknowledge the records (acks=all). */
  send(records: readonly DeadLetterRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** An idempotent producer, connected on first use and rebuilt after a failed send. */
export function createDeadLetterSender(kafka: Kafka): DeadLetterSender {
  let producer: Promise<Producer> | undefined;
  return {
    async send(records) {
      if (records.length === 0) return;
      const p = (producer ??= (async () => {
        const made = kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
        });
        await made.connect();
        return made;
      })());
      try {
        await (
          await p
        ).sendBatch({
          acks: -1,
          topicMessages: records.map((r) => ({
            topic: r.topic,
            messages: [{ key: r.key, value: r.value, headers: r.headers }],
          })),
        });
      } catch (error) {
        producer = undefined;
        await p.then((x) => x.disconnect()).catch(() => undefined);
        throw toKafkaError(error, { operation: "send", topic: records[0]?.topic ?? "" });
      }
    },
    async close() {
      const p = producer;
      producer = undefined;
      if (p !== undefined) await (await p).disconnect();
    },
  };
}
