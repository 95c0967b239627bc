import { expect, it } from "vitest";
import { parseTableSpec, countingResultsSpec } from "@georep/schema";
import { createReader } from "@georep/reader";
import type { CaptureSink } from "@georep/reader";
import { createMetrics, silentLogger, systemClock } from "@georep/observability";
import { useCleanups, waitFor } from "@georep/testkit";
import { setupRegionDb, writeCounts } from "./helpers.ts";

const defer = useCleanups();

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
  const reader = createReader({
    region: r.region,
    pgUrl: r.db.url,
    slotName: r.slot,
    tables: [parseTableSpec(countingResultsSpec)],
    sink: stuck,
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
