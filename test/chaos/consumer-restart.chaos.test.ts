// A merge consumer outlives a broker outage longer than kafkajs' own retries (client.ts: 8 retries,
// about 21 s): whether kafkajs restarts it or gives up and the consumer restarts itself
// (consumer.ts), once the broker is back it rejoins and reads on, and its owner never hears of a
// crash. On a private single-broker cluster, so no other test loses its broker; in the chaos
// project because it kills a JVM.
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createBatchConsumer } from "@georep/kafka";
import type { BatchConsumer } from "@georep/kafka";
import { silentLogger } from "@georep/observability";
import { waitFor } from "@georep/testkit";
import { startPrivateBroker } from "../kafka/private-broker.ts";
import type { PrivateBroker } from "../kafka/private-broker.ts";

/** Ports 19380-19381: apart from the dev broker, the replicated cluster and the region clusters. */
const PORT = 19_380;
const TOPIC = "consumer-restart";
/** The outage: well past kafkajs' own retries. */
const OUTAGE_MS = 40_000;

let broker: PrivateBroker | undefined;
let consumer: BatchConsumer | undefined;

beforeAll(async () => {
  broker = await startPrivateBroker({ id: "consumer-restart", port: PORT, topics: [TOPIC] });
});

afterAll(async () => {
  try {
    await consumer?.stop();
  } finally {
    await broker?.close();
  }
});

async function produce(values: readonly string[]): Promise<void> {
  if (broker === undefined) throw new Error("no broker");
  const producer = broker.kafkajs("consumer-restart-test").producer();
  await producer.connect();
  try {
    await producer.send({ topic: TOPIC, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
}

it("restarts itself after kafkajs gives up on an unreachable broker, then reads on", async () => {
  if (broker === undefined) throw new Error("setup failed");
  const seen: string[] = [];
  const crashes: unknown[] = [];
  let restarts = 0;
  /** Next offset per partition, as the merger's progress rows hold it. */
  let next = 0n;
  consumer = createBatchConsumer({
    kafka: {
      brokers: [broker.process.cluster.broker],
      clientId: "consumer-restart",
      logger: silentLogger(),
    },
    groupId: "consumer-restart-group",
    topics: [TOPIC],
    logger: silentLogger(),
    startOffsets: () => Promise.resolve(new Map([[`${TOPIC}:0`, next]])),
    onBatch: (batch) => {
      for (const m of batch.messages) seen.push(m.value?.toString() ?? "");
      const last = batch.messages.at(-1)?.offset ?? next - 1n;
      next = last + 1n;
      return Promise.resolve({ kind: "consumed", through: last });
    },
    onCrash: (error) => {
      crashes.push(error);
    },
    onRestart: () => {
      restarts += 1;
    },
    sessionTimeoutMs: 6_000,
  });
  await consumer.start();
  await produce(["a", "b"]);
  await waitFor(() => seen.length === 2, { description: "the first records", timeoutMs: 30_000 });

  await broker.process.stop("kill");
  // The outage itself is the scenario, not a wait for a condition.
  await delay(OUTAGE_MS);
  expect(crashes).toEqual([]);

  await broker.process.start();
  const backAt = performance.now();
  await produce(["c", "d"]);
  await waitFor(() => seen.length >= 4, {
    description: "the records written after the broker came back",
    timeoutMs: 90_000,
    intervalMs: 250,
  });
  console.log(
    `consumer restart: broker down ${OUTAGE_MS / 1000} s; ` +
      `${restarts} restart(s) by the consumer itself; reading again ${((performance.now() - backAt) / 1000).toFixed(1)} s after the broker was back`,
  );
  expect(seen).toEqual(["a", "b", "c", "d"]);
  expect(crashes).toEqual([]);
});
