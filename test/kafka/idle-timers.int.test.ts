// An idle Kafka connection arms no timers. kafkajs 2.2.4 re-armed a 1 ms timer after every check
// of an empty request queue, on every connection, forever (kafkajs#1556, #1704): about a thousand
// timer callbacks a second per connection, a large part of an idle replicator's CPU. georep
// installs kafkajs with a patch (patches/kafkajs@2.2.4.patch, docs/decisions.md).
import { createHook } from "node:async_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { expect, it } from "vitest";
import { createTestTopic, testKafka, uniqueName } from "@georep/testkit";

const IDLE_MS = 1_000;

/** Timers created in this process while `during` runs. */
async function timersCreatedDuring(during: () => Promise<void>): Promise<number> {
  let timers = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === "Timeout") timers += 1;
    },
  });
  hook.enable();
  try {
    await during();
  } finally {
    hook.disable();
  }
  return timers;
}

it("a connected producer arms no timers while idle", async () => {
  const topic = await createTestTopic(uniqueName("idle_timers"));
  const producer = testKafka(uniqueName("idle_timers")).producer();
  await producer.connect();
  try {
    await producer.send({ topic: topic.name, messages: [{ value: "x" }] });
    // The idle second itself, measured; the one timer of the delay is counted too.
    const timers = await timersCreatedDuring(() => delay(IDLE_MS));
    console.log(`idle kafkajs producer: ${timers} timers created in ${IDLE_MS} ms`);
    expect(timers).toBeLessThan(20);
  } finally {
    await producer.disconnect();
    await topic.delete();
  }
});
