import { describe, expect, it } from "vitest";
import { createMetrics, silentLogger, systemClock } from "@georep/observability";
import { createCapture } from "@georep/capture";
import type { Capture } from "@georep/capture";
import { countingResultsSpec, parseTableSpec } from "@georep/schema";
import { readEndpoints, useCleanups, waitFor } from "@georep/testkit";
import type { RegionDb, TopicReader } from "./helpers.ts";
import {
  mismatches,
  ownState,
  readTopic,
  setupRegionDb,
  slotPosition,
  writeCounts,
} from "./helpers.ts";

const defer = useCleanups();

function startCapture(r: RegionDb, options: Record<string, unknown> = {}): Capture {
  const capture = createCapture({
    region: r.region,
    pgUrl: r.db.url,
    slotName: r.slot,
    kafka: { brokers: readEndpoints().kafka.brokers },
    options: { heartbeatIntervalMs: 500, statusIntervalMs: 200, ...options },
    tables: [parseTableSpec(countingResultsSpec)],
    logger: silentLogger(),
    metrics: createMetrics(),
    clock: systemClock,
  });
  defer(() => capture.stop());
  return capture;
}

async function converged(r: RegionDb, topic: TopicReader, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => mismatches(topic.rows, await ownState(r.client, r.region)).length === 0,
    {
      description: "every own-state row to arrive in Kafka with its final values",
      timeoutMs,
      intervalMs: 200,
    },
  ).catch(async (error: unknown) => {
    const diff = mismatches(topic.rows, await ownState(r.client, r.region));
    throw new Error(`${diff.length} mismatches, first: ${diff.slice(0, 5).join("; ")}`, {
      cause: error,
    });
  });
}

describe("capture: reader + shipper on the real stack", () => {
  it("ships every committed local write, existing state first (initial attach)", async () => {
    const r = await setupRegionDb("cap_basic");
    defer(() => r.close());
    await writeCounts(r.client, 300, 40, 30, 1);
    const capture = startCapture(r);
    await capture.start();
    const topic = await readTopic(r.region);
    defer(() => topic.stop());
    await writeCounts(r.client, 2_000, 200, 40, 2);
    await r.client.query(
      "UPDATE public.counting_results SET status = 'ok' WHERE camera_id = 'cam-3'",
    );
    await r.client.query("DELETE FROM public.counting_results WHERE camera_id = 'cam-4'");
    await converged(r, topic);
    expect(capture.status().resyncs).toBe(1);
    // The slot is acknowledged only up to what Kafka holds, and it keeps moving.
    const before = await slotPosition(r.client, r.slot);
    await waitFor(async () => (await slotPosition(r.client, r.slot)) !== before, {
      description: "confirmed_flush_lsn to advance",
      timeoutMs: 20_000,
    });
  });

  it("never ships state merged in from other regions (origin ≠ local)", async () => {
    const r = await setupRegionDb("cap_echo");
    defer(() => r.close());
    const capture = startCapture(r);
    await capture.start();
    const topic = await readTopic(r.region);
    defer(() => topic.stop());
    await r.client.query(`BEGIN; SET LOCAL georep.applying = 'on';
      INSERT INTO georep."state__public__counting_results" (camera_id, bucket, origin, people_in__p, ins__t) VALUES ('remote-cam', '2026-01-01T00:00:00Z', '${r.other}', 42, 1);
      INSERT INTO public.counting_results (camera_id, bucket, people_in) VALUES ('remote-cam', '2026-01-01T00:00:00Z', 42);
      COMMIT;`);
    await writeCounts(r.client, 50, 5, 10, 3);
    await converged(r, topic);
    await waitFor(() => topic.slices.heartbeats > 0, {
      description: "a heartbeat after the merged write",
      timeoutMs: 20_000,
    });
    expect([...topic.slices.origins]).toEqual([r.region]);
    expect([...topic.rows.keys()].some((k) => k.includes("remote-cam"))).toBe(false);
  });
});
