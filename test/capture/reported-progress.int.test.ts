import { PassThrough } from "node:stream";
import { expect, it } from "vitest";
import { createKafka } from "@georep/kafka";
import { createLogger, silentLogger } from "@georep/observability";
import { REPORT_DEPTHS, readReportedProgress } from "@georep/shipper";
import { readEndpoints, testKafka, uniqueName, useCleanups, waitFor } from "@georep/testkit";
import { originTopic } from "@georep/contract";
import { setupRegionDb, testCapture, writeCounts } from "./helpers.ts";
import type { RegionDb } from "./helpers.ts";

// A region whose database goes back in time (a promoted asynchronous standby, a restore) may have
// lost the application of a peer's delete that its heartbeats already reported, and peers may
// have collected that key on the strength of the report. Its new incarnation must not write, nor
// ship its old shares again, before it has applied as much again (docs/data-model.md, "A region
// that loses history"). Without the wait the new incarnation started at once.
const defer = useCleanups();

/** A region that reported the peer's progress in its heartbeats, then lost it and its identity. */
async function reportedThenWentBack(prefix: string): Promise<{ r: RegionDb; reported: string }> {
  const r = await setupRegionDb(prefix);
  defer(() => r.close());
  await writeCounts(r.client, 50, 5, 10, 7);
  // The region's merger computed that it applied the peer up to `reported`; heartbeats carry it.
  const reported = ((BigInt(Date.now()) - 60_000n) << 16n).toString();
  await r.client.query("INSERT INTO georep.applied (origin, stamp) VALUES ($1, $2::bigint)", [
    r.other,
    reported,
  ]);
  const first = testCapture(r);
  defer(() => first.stop());
  await first.start();
  const kafka = createKafka({
    brokers: readEndpoints().kafka.brokers,
    clientId: "reported-progress-test",
    logger: silentLogger(),
  });
  defer(() => kafka.disconnect());
  const reportedNow = async (): Promise<bigint | undefined> => {
    const progress = await readReportedProgress(kafka, r.region);
    return progress === "none" ? undefined : progress.get(r.other);
  };
  await waitFor(async () => (await reportedNow()) === BigInt(reported), {
    description: "a heartbeat reporting the peer's progress in the topic",
    timeoutMs: 30_000,
  });
  await first.stop();
  // More records after the last heartbeat than the first read looks at (a burst of large
  // batches, an own-state emit): the report is still found, further back.
  await fillPastLastHeartbeat(r.region, REPORT_DEPTHS[0] + 10);
  expect(await reportedNow(), "the report found behind the records after it").toBe(
    BigInt(reported),
  );
  // A restore from before the region applied that much: another database, less applied.
  await r.client.query("UPDATE georep.incarnations SET database_oid = 1");
  await r.client.query("DELETE FROM georep.applied");
  return { r, reported };
}

/** Appends `n` rows envelopes (never merged here) to every partition of the region's topic. */
async function fillPastLastHeartbeat(region: string, n: number): Promise<void> {
  const topic = originTopic(region);
  const producer = testKafka(uniqueName("filler")).producer();
  await producer.connect();
  try {
    const admin = testKafka(uniqueName("filler-admin")).admin();
    await admin.connect();
    const partitions = (await admin.fetchTopicOffsets(topic)).map((o) => o.partition);
    await admin.disconnect();
    const value = JSON.stringify({
      kind: "rows",
      v: 1,
      origin: region,
      lsn: "0/1",
      commitTime: 1,
      rows: [],
    });
    for (const partition of partitions)
      await producer.send({
        topic,
        messages: Array.from({ length: n }, () => ({ partition, value })),
      });
  } finally {
    await producer.disconnect();
  }
}

function logLines(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const sink = new PassThrough();
  sink.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n")));
  return { lines, logger: createLogger({ name: "t", destination: sink }) };
}

async function incarnations(r: {
  client: { query: (sql: string) => Promise<{ rows: Array<{ n?: string }> }> };
}): Promise<number> {
  return Number(
    (await r.client.query("SELECT count(*)::text AS n FROM georep.incarnations")).rows[0]?.n,
  );
}

it("a new incarnation waits until the database has applied what the region last reported", async () => {
  const { r, reported } = await reportedThenWentBack("cap_reported");
  const { lines, logger } = logLines();
  const second = testCapture(r, {}, { logger, awaitReportedProgress: true });
  defer(() => second.stop());
  await second.start();
  const waiting = (): boolean => lines.some((l) => l.includes("its new incarnation waits"));
  await waitFor(async () => waiting() || (await incarnations(r)) > 1, {
    description: "the new incarnation waiting for the reported progress, or started",
    timeoutMs: 30_000,
  });
  expect(await incarnations(r), "no new incarnation while short of the report").toBe(1);
  expect(lines.find((l) => l.includes("its new incarnation waits"))).toContain(r.other);
  // Waiting is not a stall: /health must not restart the process for it.
  expect(second.status()).toMatchObject({ waitingForReported: true, walPending: false });

  // The merger catches up (here: by hand) and the incarnation starts.
  await r.client.query("INSERT INTO georep.applied (origin, stamp) VALUES ($1, $2::bigint)", [
    r.other,
    reported,
  ]);
  await waitFor(async () => (await incarnations(r)) === 2, {
    description: "the new incarnation once the database applied as much",
    timeoutMs: 30_000,
  });
  await waitFor(() => second.status().state === "streaming", {
    description: "streaming under the new incarnation",
    timeoutMs: 60_000,
  });
});

it("a new incarnation that cannot apply what was reported starts anyway after reportedWaitMs, with an error", async () => {
  // An origin whose cluster is down, or a gap only repair closes (it runs once capture streams),
  // must not keep a failed-over region from writing past its RTO.
  const { r } = await reportedThenWentBack("cap_reported_late");
  const { lines, logger } = logLines();
  const capture = testCapture(
    r,
    { reportedWaitMs: 1_500 },
    { logger, awaitReportedProgress: true },
  );
  defer(() => capture.stop());
  await capture.start();
  await waitFor(async () => (await incarnations(r)) === 2, {
    description: "the new incarnation once the wait ran out",
    timeoutMs: 30_000,
  });
  const error = lines.find((l) =>
    l.includes("without having applied what this region last reported"),
  );
  expect(error, "the error naming the origins").toContain(r.other);
  expect(capture.status().waitingForReported).toBe(false);
});
