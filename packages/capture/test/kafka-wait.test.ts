// The capture's start while its region's Kafka cluster is unreachable, against a fake client
// (pure control flow: the reader is never started, so no database is reached).
import { describe, expect, it } from "vitest";
import { KafkaError } from "@georep/kafka";
import type { KafkaClient } from "@georep/kafka";
import { createMetrics, silentLogger, systemClock } from "@georep/observability";
import { countingResultsSpec, parseTableSpec } from "@georep/schema";
import { createCapture } from "../src/capture.ts";

const unreachable = (): KafkaError =>
  new KafkaError("kafka ensure-topics failed: connect ECONNREFUSED", {
    retriable: true,
    context: { operation: "ensure-topics" },
  });

/** A client whose topic creation fails with `fail()` on every call. */
function failingKafka(fail: () => Error): KafkaClient & { attempts: number } {
  const client = {
    attempts: 0,
    producer: () => ({
      connect: () => Promise.resolve(),
      send: () => Promise.resolve(),
      close: () => Promise.resolve(),
    }),
    admin: {
      ensureTopics: () => {
        client.attempts += 1;
        return Promise.reject(fail());
      },
      readTail: () => Promise.resolve([]),
      topicEnds: () => Promise.resolve(new Map<number, bigint>()),
      deleteGroup: () => Promise.resolve("absent" as const),
      createAcls: () => Promise.resolve(),
    },
    disconnect: () => Promise.resolve(),
  };
  return client;
}

function capture(kafka: KafkaClient, onKafkaWait?: (error: KafkaError) => void) {
  const metrics = createMetrics();
  const c = createCapture({
    region: "us-east",
    pgUrl: "postgres://127.0.0.1:1/none",
    slotName: "georep_us_east",
    kafka: { brokers: ["127.0.0.1:1"] },
    tables: [parseTableSpec(countingResultsSpec)],
    logger: silentLogger(),
    metrics,
    clock: systemClock,
    kafkaClient: kafka,
    onKafkaWait,
  });
  const waitingGauge = async (): Promise<string | undefined> =>
    /^georep_capture_waiting_for_kafka (\S+)$/m.exec(await metrics.render())?.[1];
  return { c, waitingGauge };
}

describe("capture start with its cluster unreachable", () => {
  it("fails at once without onKafkaWait", async () => {
    const kafka = failingKafka(unreachable);
    const { c } = capture(kafka);
    await expect(c.start()).rejects.toBeInstanceOf(KafkaError);
    await c.stop();
  });

  it("with onKafkaWait: waits (gauge 1) and a stop ends the wait without an error or a reader", async () => {
    const kafka = failingKafka(unreachable);
    let waited = 0;
    let reportWait = (): void => undefined;
    const firstWait = new Promise<void>((resolve) => (reportWait = resolve));
    const { c, waitingGauge } = capture(kafka, () => {
      waited += 1;
      reportWait();
    });
    const started = c.start();
    await firstWait;
    expect(waited).toBe(1);
    expect(await waitingGauge()).toBe("1");
    await c.stop();
    // Resolves (a stop is not a failure), well before the 5 s retry would have come.
    await started;
    expect(kafka.attempts).toBe(1);
    expect(c.status().state).not.toBe("streaming");
    expect(await waitingGauge()).toBe("0");
  });

  it("with onKafkaWait: a stop during an attempt is not a failure either", async () => {
    let failAttempt = (): void => undefined;
    const kafka = failingKafka(unreachable);
    kafka.admin.ensureTopics = () =>
      new Promise((_, reject) => {
        failAttempt = () => {
          reject(unreachable());
        };
      });
    const { c } = capture(kafka, () => undefined);
    const started = c.start();
    await new Promise((resolve) => setImmediate(resolve));
    const stopped = c.stop();
    // The attempt in flight fails only now, as kafkajs' retries end after the stop.
    failAttempt();
    await started;
    await stopped;
  });

  it("with onKafkaWait: a refusal no retry can fix still fails start", async () => {
    const refused = (): KafkaError =>
      new KafkaError("kafka ensure-topics failed: SASL authentication failed", {
        retriable: false,
        context: { operation: "ensure-topics" },
      });
    let waited = 0;
    const { c, waitingGauge } = capture(failingKafka(refused), () => (waited += 1));
    await expect(c.start()).rejects.toThrow("SASL authentication failed");
    expect(waited).toBe(0);
    expect(await waitingGauge()).toBe("0");
    await c.stop();
  });
});
