import { expect, it } from "vitest";
import { useCleanups, waitFor } from "@georep/testkit";
import type { CaptureChild } from "./helpers.ts";
import {
  mismatches,
  ownState,
  readTopic,
  setupRegionDb,
  spawnCapture,
  writeCounts,
} from "./helpers.ts";

const defer = useCleanups();

it("kill -9 of the capture process at random points loses nothing", async () => {
  const r = await setupRegionDb("cap_kill");
  defer(() => r.close());
  const topic = await readTopic(r.region);
  defer(() => topic.stop());
  const config = {
    region: r.region,
    pgUrl: r.db.url,
    slotName: r.slot,
    options: {
      heartbeatIntervalMs: 500,
      statusIntervalMs: 200,
      backoffInitialMs: 50,
      backoffMaxMs: 500,
    },
  };
  let child: CaptureChild | undefined;
  defer(() => child?.kill("SIGKILL") ?? Promise.resolve());
  // A writer runs throughout; the capture is killed mid-stream three times.
  const load = { writing: true };
  const writer = (async () => {
    for (let round = 0; load.writing; round++) await writeCounts(r.client, 200, 150, 20, round);
  })();
  defer(async () => {
    load.writing = false;
    await writer.catch(() => undefined);
  });
  for (let kill = 0; kill < 3; kill++) {
    child = spawnCapture(config);
    const threshold = 50 + Math.floor(Math.random() * 400);
    const current = child;
    await waitFor(() => Number(current.status()?.["shippedRows"] ?? 0) >= threshold, {
      description: `capture ${kill} to ship ${threshold} rows`,
      timeoutMs: 60_000,
    });
    await child.kill("SIGKILL");
  }
  load.writing = false;
  await writer;
  child = spawnCapture(config);
  await waitFor(
    async () => mismatches(topic.rows, await ownState(r.client, r.region)).length === 0,
    {
      description: "every own-state row to be in Kafka after three kill -9",
      timeoutMs: 90_000,
      intervalMs: 250,
    },
  );
  expect(topic.slices.count).toBeGreaterThan(0);
  await child.kill("SIGTERM");
});
