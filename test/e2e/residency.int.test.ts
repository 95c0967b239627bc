import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Pool } from "pg";
import { originTopic, zoneTopic } from "@georep/contract";
import { testKafka, uniqueName, waitFor } from "@georep/testkit";
import type { ThreeRegions } from "./regions.ts";
import { startThreeRegions } from "./regions.ts";

/**
 * Residency: the second and third regions form zone "eu". A row homed in an eu region travels
 * only on the zone topic, so the region outside the zone never receives it, while rows homed
 * outside any zone reach every region.
 */
/** Reads a topic from the beginning up to its current end; does any message mention `text`? */
async function topicMentions(topic: string, text: string): Promise<boolean> {
  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(
    ends.filter((e) => Number(e.high) > 0).map((e) => [e.partition, Number(e.high)]),
  );
  let found = false;
  const consumer = kafka.consumer({ groupId: uniqueName("residency") });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      if (message.value?.toString("utf8").includes(text) === true) found = true;
      if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0))
        remaining.delete(partition);
      return Promise.resolve();
    },
  });
  await waitFor(() => remaining.size === 0, {
    description: `reading ${topic} to its end`,
    timeoutMs: 60_000,
  });
  await consumer.disconnect();
  return found;
}

describe("residency zones, whole pipeline", () => {
  let world: ThreeRegions;
  beforeAll(async () => {
    world = await startThreeRegions("res", [undefined, "eu", "eu"]);
  });
  afterAll(async () => world.close());

  const has = async (pool: Pool, camera: string): Promise<boolean> =>
    ((await pool.query("SELECT 1 FROM counting_results WHERE camera_id = $1", [camera])).rowCount ??
      0) > 0;

  it("never ships a row homed in the zone to the region outside it", async () => {
    const [outside, eu1, eu2] = world.regions;
    if (outside === undefined || eu1 === undefined || eu2 === undefined)
      throw new Error("three regions expected");
    await eu1.pool.query(
      "INSERT INTO counting_results (camera_id, bucket, people_in, home_region) VALUES ('eu-cam', '2026-11-22T10:00:00Z', 4, $1)",
      [eu1.id],
    );
    await eu1.pool.query(
      "INSERT INTO counting_results (camera_id, bucket, people_in, home_region) VALUES ('global-cam', '2026-11-22T10:00:00Z', 2, $1)",
      [outside.id],
    );
    // The global row reaching the outside region proves eu1's pipeline has shipped past the eu row.
    await waitFor(
      async () => (await has(outside.pool, "global-cam")) && (await has(eu2.pool, "eu-cam")),
      {
        description: "the global row everywhere and the eu row in the other eu region",
        timeoutMs: 60_000,
      },
    );
    expect(await has(outside.pool, "eu-cam")).toBe(false);
    // And on the wire: the zone row is on eu1's zone topic and nowhere on its origin topic.
    expect(await topicMentions(originTopic(eu1.id), "eu-cam")).toBe(false);
    expect(await topicMentions(originTopic(eu1.id), "global-cam")).toBe(true);
    expect(await topicMentions(zoneTopic(eu1.id, "eu"), "eu-cam")).toBe(true);
    const state = await outside.pool.query(
      "SELECT 1 FROM georep.state__public__counting_results WHERE camera_id = 'eu-cam'",
    );
    expect(state.rowCount).toBe(0);
  });
});
