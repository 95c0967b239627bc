import { expect, it } from "vitest";
import { findRepoRoot, useCleanups, waitFor } from "@georep/testkit";
import { stackConfig } from "../../tools/stack/config.ts";
import { startKafka, stopKafka, waitKafkaReady } from "../../tools/stack/kafka.ts";
import {
  mismatches,
  ownState,
  readTopic,
  setupRegionDb,
  spawnCapture,
  writeCounts,
} from "../capture/helpers.ts";
import type { CaptureChild } from "../capture/helpers.ts";

const defer = useCleanups();

// Restarting the shared broker disturbs every suite running at the same time, so this file is in
// the `chaos` project, which vitest runs after the others, one file at a time.
it("a Kafka broker restart loses nothing", async () => {
  const kafka = stackConfig(findRepoRoot(), process.env).kafka;
  const r = await setupRegionDb("cap_kafka");
  defer(() => r.close());
  let child: CaptureChild | undefined = spawnCapture({
    region: r.region,
    pgUrl: r.db.url,
    slotName: r.slot,
    options: { heartbeatIntervalMs: 500, backoffInitialMs: 100, backoffMaxMs: 1_000 },
  });
  defer(() => child?.kill("SIGTERM") ?? Promise.resolve());
  await waitFor(() => child?.status()?.["state"] === "streaming", {
    description: "capture streaming",
    timeoutMs: 30_000,
  });
  await writeCounts(r.client, 500, 60, 25, 1);
  try {
    await stopKafka(kafka);
    // Writes while the broker is down: the shipper retries, durable must not move past them.
    await writeCounts(r.client, 500, 60, 25, 2);
  } finally {
    const up = await startKafka(kafka);
    await waitKafkaReady(kafka, up.pid);
  }
  await writeCounts(r.client, 200, 60, 25, 3);
  const topic = await readTopic(r.region);
  defer(() => topic.stop());
  await waitFor(
    async () => mismatches(topic.rows, await ownState(r.client, r.region)).length === 0,
    {
      description: "every own-state row in Kafka after the broker restart",
      timeoutMs: 120_000,
      intervalMs: 250,
    },
  );
  expect(Number(child.status()?.["sendFailures"] ?? 0)).toBeGreaterThanOrEqual(0);
  await child.kill("SIGTERM");
  child = undefined;
});
