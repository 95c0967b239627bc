import { expect, it } from "vitest";
import { parseTableSpec, countingResultsSpec } from "@georep/schema";
import { createReader } from "@georep/reader";
import type { CaptureSink } from "@georep/reader";
import { createMetrics, silentLogger, systemClock } from "@georep/observability";
import { useCleanups, waitFor } from "@georep/testkit";
import { setupRegionDb, writeCounts } from "./helpers.ts";

const defer = useCleanups();

function readerFor(r: Awaited<ReturnType<typeof setupRegionDb>>, sink: CaptureSink) {
  return createReader({
    region: r.region,
    pgUrl: r.db.url,
    slotName: r.slot,
    tables: [parseTableSpec(countingResultsSpec)],
    sink,
    logger: silentLogger(),
    metrics: createMetrics(),
    clock: systemClock,
    lingerMs: 10,
    maxBatchRows: 100,
    heartbeatIntervalMs: 200,
    statusIntervalMs: 200,
    resyncBatchRows: 100,
    backoff: { initialMs: 50, maxMs: 500 },
    stopDrainMs: 1_000,
  });
}

it("stop() while the slot is still being prepared returns, and leaves no walsender behind", async () => {
  const r = await setupRegionDb("cap_stop_early");
  defer(() => r.close());
  const sink: CaptureSink = { ready: () => Promise.resolve(), ship: () => Promise.resolve() };
  const reader = readerFor(r, sink);
  await reader.start();
  // At once: the reader is still creating its slot. The session it starts afterwards used to be
  // left streaming, and stop() waited for it forever.
  const started = Date.now();
  await reader.stop();
  expect(Date.now() - started).toBeLessThan(20_000);
  await waitFor(
    async () =>
      (
        await r.client.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active", [
          r.slot,
        ])
      ).rowCount === 0,
    { description: "the slot to have no walsender", timeoutMs: 15_000 },
  );
});

it("stop() returns while the sink never has room (Kafka accepting nothing)", async () => {
  const r = await setupRegionDb("cap_stop");
  defer(() => r.close());
  // A sink that never frees up: the flush loop waits in ready() for good.
  let waiting = 0;
  const stuck: CaptureSink = {
    ready: () => {
      waiting += 1;
      return new Promise<void>(() => undefined);
    },
    ship: () => new Promise<void>(() => undefined),
  };
  const reader = readerFor(r, stuck);
  await reader.start();
  await waitFor(() => reader.status().state === "streaming" && waiting > 0, {
    description: "the reader streaming, its flush waiting for room in the sink",
    timeoutMs: 60_000,
  });
  await writeCounts(r.client, 20, 5);
  const started = Date.now();
  await reader.stop();
  // Two bounded waits of 1 s plus the session close; it used to wait forever.
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(reader.status().state).toBe("stopped");
});
