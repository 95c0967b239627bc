import { PassThrough } from "node:stream";
import { expect, it } from "vitest";
import { createKafka } from "@georep/kafka";
import { createLogger, silentLogger } from "@georep/observability";
import { readReportedProgress } from "@georep/shipper";
import { readEndpoints, useCleanups, waitFor } from "@georep/testkit";
import { setupRegionDb, testCapture, writeCounts } from "./helpers.ts";

// A region whose database goes back in time (a promoted asynchronous standby, a restore) may have
// lost the application of a peer's delete that its heartbeats already reported, and peers may
// have collected that key on the strength of the report. Its new incarnation must not write, nor
// ship its old shares again, before it has applied as much again (docs/data-model.md, "A region
// that loses history"). Without the wait the new incarnation started at once.
const defer = useCleanups();

it("a new incarnation waits until the database has applied what the region last reported", async () => {
  const r = await setupRegionDb("cap_reported");
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
  await waitFor(
    async () =>
      (await readReportedProgress(kafka, r.region, silentLogger()))?.get(r.other) ===
      BigInt(reported),
    { description: "a heartbeat reporting the peer's progress in the topic", timeoutMs: 30_000 },
  );
  await first.stop();

  // A restore from before the region applied that much: another database, less applied.
  await r.client.query("UPDATE georep.incarnations SET database_oid = 1");
  await r.client.query("DELETE FROM georep.applied");
  const lines: string[] = [];
  const sink = new PassThrough();
  sink.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n")));
  const second = testCapture(
    r,
    {},
    { logger: createLogger({ name: "t", destination: sink }), awaitReportedProgress: true },
  );
  defer(() => second.stop());
  await second.start();
  const incarnations = async (): Promise<number> =>
    Number(
      (await r.client.query<{ n: string }>("SELECT count(*)::text AS n FROM georep.incarnations"))
        .rows[0]?.n,
    );
  const waiting = (): boolean => lines.some((l) => l.includes("its new incarnation waits"));
  await waitFor(async () => waiting() || (await incarnations()) > 1, {
    description: "the new incarnation waiting for the reported progress, or started",
    timeoutMs: 30_000,
  });
  expect(await incarnations(), "no new incarnation while short of the report").toBe(1);
  expect(lines.find((l) => l.includes("its new incarnation waits"))).toContain(r.other);

  // The merger catches up (here: by hand) and the incarnation starts.
  await r.client.query("INSERT INTO georep.applied (origin, stamp) VALUES ($1, $2::bigint)", [
    r.other,
    reported,
  ]);
  await waitFor(async () => (await incarnations()) === 2, {
    description: "the new incarnation once the database applied as much",
    timeoutMs: 30_000,
  });
  await waitFor(() => second.status().state === "streaming", {
    description: "streaming under the new incarnation",
    timeoutMs: 60_000,
  });
});
