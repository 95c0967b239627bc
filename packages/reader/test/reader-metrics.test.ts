import { expect, it } from "vitest";
import { createMetrics } from "@georep/observability";
import { readerMetrics } from "../src/reader-metrics.ts";

const unshipped = async (text: Promise<string>): Promise<number> =>
  Number(/^georep_reader_unshipped_wal_bytes (\S+)$/m.exec(await text)?.[1]);

it("exports the WAL received but not acknowledged by Kafka, whichever position moved last", async () => {
  const metrics = createMetrics();
  const m = readerMetrics(metrics);
  expect(await unshipped(metrics.render())).toBe(0);
  m.received.set(5_000);
  m.durable.set(3_000);
  expect(await unshipped(metrics.render())).toBe(2_000);
  m.durable.set(5_000);
  expect(await unshipped(metrics.render())).toBe(0);
  // A batch acknowledged past the last keepalive's position: nothing is waiting.
  m.durable.set(6_000);
  expect(await unshipped(metrics.render())).toBe(0);
  expect(await metrics.render()).toMatch(/^georep_reader_received_lsn 5000$/m);
});
