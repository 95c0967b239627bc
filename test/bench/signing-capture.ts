// The capture side of the signing benchmark: one region's WAL of many small transactions, read
// from the start by a fresh capture (reader + shipper, Kafka acks=all) per run, signing or not.
// Every run reads the same WAL from a slot created before the writes, so runs differ only in
// whether the shipper signs.
import type { KeyObject } from "node:crypto";
import pg from "pg";
import { createEnvelopeSigner, originTopic } from "@georep/contract";
import { createCapture } from "@georep/capture";
import { createLogger, createMetrics, systemClock } from "@georep/observability";
import {
  countingResultsSpec,
  installSchema,
  parseInstallConfig,
  parseTableSpec,
} from "@georep/schema";
import {
  createTestDatabase,
  createTestTopic,
  readEndpoints,
  uniqueName,
  waitFor,
} from "@georep/testkit";

export interface CaptureRun {
  readonly changesPerSecond: number;
  readonly messages: number;
  /** This process's CPU (reader and shipper) per change. */
  readonly cpuMicrosPerChange: number;
}

export interface CaptureBed {
  /** Captures the whole WAL once on its next unused slot; signed with `key` when given. */
  run(key: KeyObject | undefined): Promise<CaptureRun>;
  close(): Promise<void>;
}

/**
 * A database with `changes` inserts in transactions of `perTx` rows and `runs` slots created
 * before them, and the region's topic.
 */
export async function captureBed(
  changes: number,
  perTx: number,
  runs: number,
): Promise<CaptureBed> {
  const db = await createTestDatabase("us-east", "bench_signing");
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const region = uniqueName("s").replace(/_/g, "-").slice(0, 28).replace(/-+$/, "");
  await installSchema(
    client,
    parseInstallConfig({ region, regions: [{ id: region }], tables: [countingResultsSpec] }),
  );
  const topic = await createTestTopic(originTopic(region), 6);
  const slots = Array.from({ length: runs }, () => uniqueName("bench_sig"));
  for (const slot of slots)
    await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
  // Many transactions in one round trip: the writer is not what is measured.
  for (let done = 0; done < changes; done += perTx * 100) {
    const txs: string[] = [];
    for (let tx = done; tx < Math.min(changes, done + perTx * 100); tx += perTx)
      txs.push(
        `BEGIN; INSERT INTO public.counting_results (camera_id, bucket, people_in) SELECT 'cam-' || g, '2026-01-01T00:00:00Z', 1 FROM generate_series(${tx}, ${Math.min(changes, tx + perTx) - 1}) g; COMMIT;`,
      );
    await client.query(txs.join(" "));
  }
  return {
    async run(key) {
      const slot = slots.shift();
      if (slot === undefined) throw new Error("captureBed: every slot is used");
      const capture = createCapture({
        region,
        pgUrl: db.url,
        slotName: slot,
        kafka: { brokers: readEndpoints().kafka.brokers },
        tables: [parseTableSpec(countingResultsSpec)],
        logger: createLogger({ name: "signing-bench", level: "warn", destination: process.stderr }),
        metrics: createMetrics(),
        clock: systemClock,
        ...(key === undefined ? {} : { signer: createEnvelopeSigner(key) }),
      });
      const started = performance.now();
      const cpuStart = process.cpuUsage();
      await capture.start();
      await waitFor(() => capture.status().coalescedIn >= changes, {
        description: "every change shipped and acknowledged",
        timeoutMs: 600_000,
        intervalMs: 5,
      });
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuStart);
      const { messagesOut } = capture.status();
      await capture.stop();
      return {
        changesPerSecond: changes / seconds,
        messages: messagesOut,
        cpuMicrosPerChange: (cpu.user + cpu.system) / changes,
      };
    },
    async close() {
      await client.end();
      await topic.delete();
      await db.drop();
    },
  };
}
