import { expect, it } from "vitest";
import { useCleanups, waitFor } from "@georep/testkit";
import type { CaptureChild } from "./helpers.ts";
import { mismatches, ownState, readTopic, setupRegionDb, spawnCapture } from "./helpers.ts";

const defer = useCleanups();

// SPEC.md invariant 9: the first attach emits the region's existing state once. The slot is created
// before the emit (so nothing committed meanwhile is missed) and so outlives a crash during it:
// a restart must emit again rather than stream on from a slot that starts after that state.
it("kill -9 during the first attach's own-state emit: the restart emits it again", async () => {
  const r = await setupRegionDb("cap_attach");
  defer(() => r.close());
  const rows = 20_000;
  await r.client.query(
    `INSERT INTO public.counting_results (camera_id, bucket, people_in, model_version)
     SELECT 'cam-' || g, '2026-01-01T00:00:00Z', 1 + g % 7, 'm1' FROM generate_series(1, $1::int) g`,
    [rows],
  );
  const topic = await readTopic(r.region);
  defer(() => topic.stop());
  // Small emit batches, one at a time: the emit takes long enough for the kill to land inside it.
  const config = {
    region: r.region,
    pgUrl: r.db.url,
    slotName: r.slot,
    options: { resyncBatchRows: 100, maxInFlightBatches: 1, backoffInitialMs: 50 },
  };
  let child: CaptureChild | undefined = spawnCapture(config);
  defer(() => child?.kill("SIGKILL") ?? Promise.resolve());
  await waitFor(
    async () =>
      (await r.client.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", [r.slot]))
        .rowCount === 1,
    { description: "the capture to create its slot", timeoutMs: 60_000, intervalMs: 5 },
  );
  const shippedBeforeKill = Number(child.status()?.["shippedRows"] ?? 0);
  await child.kill("SIGKILL");

  child = spawnCapture(config);
  await waitFor(
    async () => mismatches(topic.rows, await ownState(r.client, r.region)).length === 0,
    {
      description: `all ${rows} pre-existing rows in Kafka after the restart`,
      timeoutMs: 90_000,
      intervalMs: 250,
    },
  );
  expect(topic.rows.size).toBe(rows);
  // The kill landed mid-emit (the child's last status, at most 100 ms old), or this proves nothing.
  expect(shippedBeforeKill).toBeLessThan(rows);
  await child.kill("SIGTERM");
  child = undefined;
});
