// The batch consumer on a WAN link: with a round trip longer than the handling, it fetches the
// next batch while one is handled (packages/kafka/src/prefetch-rule.ts), and still hands the
// handler every record once, in order, across a seek it asks for and a batch it fails.
// A private single-broker cluster reached through a delaying proxy (its advertised listener), on
// ports 19382-19385, apart from the dev broker and the other test clusters.
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createBatchConsumer } from "@georep/kafka";
import type { BatchConsumer, BatchOutcome, ConsumedBatch } from "@georep/kafka";
import { silentLogger } from "@georep/observability";
import { startDelayProxy, waitFor } from "@georep/testkit";
import type { DelayProxy } from "@georep/testkit";
import { startPrivateBroker } from "./private-broker.ts";
import type { PrivateBroker } from "./private-broker.ts";

const PORT = 19_382;
const LISTENER_PORT = 19_384;
const PROXY_PORT = 19_385;
const ONE_WAY_MS = 100;
/** Shorter than the round trip (200 ms), long enough that fetching after it would show. */
const HANDLING_MS = 150;
const TOPIC = "consumer-prefetch";
const RECORDS = 400;

let broker: PrivateBroker | undefined;
let proxy: DelayProxy | undefined;
let consumer: BatchConsumer | undefined;

beforeAll(async () => {
  broker = await startPrivateBroker({
    id: "consumer-prefetch",
    port: PORT,
    listeners: [{ name: "FROM_WAN", port: LISTENER_PORT, advertisedPort: PROXY_PORT }],
    topics: [TOPIC],
  });
  proxy = await startDelayProxy({
    listenPort: PROXY_PORT,
    targetPort: LISTENER_PORT,
    oneWayDelayMs: ONE_WAY_MS,
  });
});

afterAll(async () => {
  try {
    await consumer?.stop();
    await proxy?.close();
  } finally {
    await broker?.close();
  }
});

interface Call {
  readonly first: bigint;
  readonly startedAt: number;
  endedAt: number;
}

it("fetches while it handles over a slow link, and hands every record once, in order, across a seek and a failure", async () => {
  if (broker === undefined || proxy === undefined) throw new Error("setup failed");
  /** The durable store's next offset, as the merger's progress rows hold it. */
  let next = 0n;
  const calls: Call[] = [];
  const gapsAt: bigint[] = [];
  const crashes: unknown[] = [];
  let sought: { readonly to: bigint; readonly call: number } | undefined;
  let failed: { readonly first: bigint; readonly call: number } | undefined;
  const onBatch = async (batch: ConsumedBatch): Promise<BatchOutcome> => {
    const first = batch.messages[0]?.offset ?? -1n;
    const call: Call = { first, startedAt: performance.now(), endedAt: 0 };
    calls.push(call);
    await delay(HANDLING_MS);
    call.endedAt = performance.now();
    if (first > next) gapsAt.push(first); // a record the store never saw was skipped
    const last = batch.messages.at(-1)?.offset ?? next - 1n;
    if (sought === undefined && first >= 250n) {
      // The store is behind what Kafka delivered (a restored database): read again from it.
      // Handled for longer than a round trip, so the next batch is fetched and waits meanwhile.
      await delay(2 * 2 * ONE_WAY_MS);
      next = first - 10n;
      sought = { to: next, call: calls.length - 1 };
      return { kind: "seek", offset: next };
    }
    if (failed === undefined && sought !== undefined && first >= 320n) {
      failed = { first, call: calls.length - 1 };
      await delay(2 * 2 * ONE_WAY_MS);
      throw new Error("the merge failed");
    }
    if (last >= next) next = last + 1n;
    return { kind: "consumed", through: last };
  };
  consumer = createBatchConsumer({
    kafka: { brokers: [`127.0.0.1:${PROXY_PORT}`], clientId: "prefetch", logger: silentLogger() },
    groupId: "consumer-prefetch-group",
    topics: [TOPIC],
    logger: silentLogger(),
    startOffsets: () => Promise.resolve(new Map([[`${TOPIC}:0`, next]])),
    onBatch,
    onCrash: (error) => {
      crashes.push(error);
    },
    sessionTimeoutMs: 10_000,
  });
  await consumer.start();

  // A steady trickle, so that every fetch finds records waiting.
  const producer = broker.kafkajs("consumer-prefetch-test").producer();
  await producer.connect();
  try {
    for (let i = 0; i < RECORDS; i++) {
      await producer.send({ topic: TOPIC, messages: [{ value: String(i) }] });
      await delay(10);
    }
  } finally {
    await producer.disconnect();
  }
  await waitFor(() => next === BigInt(RECORDS), {
    description: `every record handled (next offset ${next} of ${RECORDS})`,
    timeoutMs: 60_000,
    intervalMs: 100,
  });

  expect(crashes).toEqual([]);
  expect(gapsAt).toEqual([]);
  // The call after the seek starts where it sought, not at the batch fetched behind it.
  if (sought === undefined || failed === undefined) throw new Error("no seek or no failure");
  expect(calls[sought.call + 1]?.first).toBe(sought.to);
  // The failed batch is handed over again, from its first record.
  expect(calls[failed.call + 1]?.first).toBe(failed.first);
  // Fetching only after handling, a call would start a round trip (200 ms) after the previous
  // ended; fetched meanwhile, the next batch is there when the handling ends.
  const waits = calls
    .slice(3, sought.call)
    .map((c, i) => c.startedAt - (calls[i + 2]?.endedAt ?? c.startedAt))
    .sort((a, b) => a - b);
  const median = waits[Math.floor(waits.length / 2)] ?? Number.NaN;
  console.log(
    `consumer prefetch: ${calls.length} calls; median wait between calls ${median.toFixed(0)} ms over ${waits.length} (round trip ${2 * ONE_WAY_MS} ms, handling ${HANDLING_MS} ms)`,
  );
  expect(waits.length).toBeGreaterThan(3);
  expect(median).toBeLessThan(ONE_WAY_MS);
});
