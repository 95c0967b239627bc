// Capture benchmark: raw pg_recvlogical decode vs our reader+shipper over the same WAL, and the
// coalescing ratio of a hot-key camera counting workload.
//   npx tsx test/bench/capture.bench.ts
// Environment: GEOREP_BENCH_CHANGES (200000), GEOREP_BENCH_HOT_CHANGES (50000),
// GEOREP_BENCH_OPTIONS (JSON capture tuning, e.g. '{"maxBatchRows":5000}'), GEOREP_BENCH_SKIP_HOT=1.
// Both sides start from a slot created before the writes and stop at the same WAL end; "ours"
// counts until Kafka acknowledged every change (acks=all), its start included (slot check,
// replication connection, Kafka producer). The region's topic is created beforehand, as a
// deployment has it: creating a topic is not per-change work and pg_recvlogical has none.
import { spawn } from "node:child_process";
import pg from "pg";
import { originTopic } from "@georep/contract";
import { createLogger, createMetrics, systemClock } from "@georep/observability";
import { createCapture } from "@georep/capture";
import type { Capture } from "@georep/capture";
import {
  countingResultsSpec,
  installSchema,
  parseInstallConfig,
  parseTableSpec,
} from "@georep/schema";
import {
  createTestDatabase,
  createTestTopic,
  ensureStackUp,
  readEndpoints,
  uniqueName,
  waitFor,
} from "@georep/testkit";
import type { TestDatabase, TestTopic } from "@georep/testkit";

const N = Number(process.env["GEOREP_BENCH_CHANGES"] ?? 200_000);
const HOT = Number(process.env["GEOREP_BENCH_HOT_CHANGES"] ?? 50_000);
const RECVLOGICAL = "/usr/lib/postgresql/15/bin/pg_recvlogical";
const OPTIONS = JSON.parse(process.env["GEOREP_BENCH_OPTIONS"] ?? "{}") as Record<string, unknown>;

async function database(
  prefix: string,
): Promise<{ db: TestDatabase; client: pg.Client; region: string }> {
  const db = await createTestDatabase("us-east", prefix);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const region = uniqueName("b").replace(/_/g, "-").slice(0, 28).replace(/-+$/, "");
  await installSchema(
    client,
    parseInstallConfig({ region, regions: [{ id: region }], tables: [countingResultsSpec] }),
  );
  return { db, client, region };
}

function capture(db: TestDatabase, region: string, slot: string): Capture {
  return createCapture({
    region,
    pgUrl: db.url,
    slotName: slot,
    kafka: { brokers: readEndpoints().kafka.brokers },
    tables: [parseTableSpec(countingResultsSpec)],
    logger: createLogger({ name: "capture-bench", level: "warn", destination: process.stderr }),
    metrics: createMetrics(),
    clock: systemClock,
    options: OPTIONS,
  });
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} exited ${code}`));
    });
  });
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const rate = (n: number, ms: number): string => `${fmt((n / ms) * 1000).padStart(9)} changes/s`;

async function uniformKeys(): Promise<void> {
  const { db, client, region } = await database("bench_uniform");
  let topic: TestTopic | undefined;
  try {
    topic = await createTestTopic(originTopic(region), 6);
    const rawSlot = uniqueName("bench_raw");
    const ourSlot = uniqueName("bench_ours");
    await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [rawSlot]);
    await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [ourSlot]);
    const genStart = performance.now();
    for (let done = 0; done < N; done += 10_000) {
      await client.query(
        `INSERT INTO public.counting_results (camera_id, bucket, people_in, model_version)
         SELECT 'cam-' || g, '2026-01-01T00:00:00Z', 1 + g % 5, 'm1' FROM generate_series($1::int, $2::int) g`,
        [done, Math.min(N, done + 10_000) - 1],
      );
    }
    const { rows } = await client.query<{ lsn: string }>(
      "SELECT pg_current_wal_lsn()::text AS lsn",
    );
    const endLsn = rows[0]?.lsn ?? "0/0";
    console.log(
      `generated ${N.toLocaleString("en-US")} captured changes (uniform keys) in ${Math.round(performance.now() - genStart)} ms; WAL end ${endLsn}`,
    );

    const rawStart = performance.now();
    await run(RECVLOGICAL, [
      "-d",
      db.url,
      "--slot",
      rawSlot,
      "--start",
      "-o",
      "proto_version=1",
      "-o",
      "publication_names=georep_out",
      "-f",
      "/dev/null",
      "--endpos",
      endLsn,
      "--no-loop",
    ]);
    const rawMs = performance.now() - rawStart;

    const c = capture(db, region, ourSlot);
    const oursStart = performance.now();
    const cpuStart = process.cpuUsage();
    await c.start();
    await waitFor(() => c.status().state === "streaming", {
      description: "capture streaming",
      timeoutMs: 60_000,
      intervalMs: 2,
    });
    const setupMs = performance.now() - oursStart;
    await waitFor(() => c.status().coalescedIn >= N, {
      description: "every change shipped and acknowledged",
      timeoutMs: 600_000,
      intervalMs: 5,
    });
    const oursMs = performance.now() - oursStart;
    const cpu = process.cpuUsage(cpuStart);
    const s = c.status();
    await c.stop();
    console.log(
      `(a) pg_recvlogical pgoutput decode : ${rate(N, rawMs)}  (${fmt(rawMs)} ms, to /dev/null)`,
    );
    console.log(
      `(b) reader + shipper, Kafka acked  : ${rate(N, oursMs)}  (${fmt(oursMs)} ms incl. ${fmt(setupMs)} ms start; ${fmt(s.sends)} sends, ${fmt(s.messagesOut)} messages, ${fmt(s.shippedRows)} rows)`,
    );
    console.log(`    streaming only                 : ${rate(N, oursMs - setupMs)}`);
    console.log(
      `    our process CPU                : ${fmt((cpu.user + cpu.system) / 1000)} ms (${((cpu.user + cpu.system) / 10 / oursMs).toFixed(0)}% of one core; ${(((cpu.user + cpu.system) / N) * 1000).toFixed(0)} ns per change)`,
    );
    console.log(
      `    RATIO ours / raw               : ${(rawMs / oursMs).toFixed(2)}x  (target >= 0.5x; same run, same WAL)`,
    );
    if (Object.keys(OPTIONS).length > 0) console.log(`    tuning: ${JSON.stringify(OPTIONS)}`);
  } finally {
    await client.end();
    await topic?.delete();
    await db.drop();
  }
}

async function hotKeys(): Promise<void> {
  const { db, client, region } = await database("bench_hot");
  try {
    const c = capture(db, region, uniqueName("bench_hot"));
    await c.start();
    // The slot is created in the background: write only once it streams, so every increment is a WAL change.
    await waitFor(() => c.status().state === "streaming", {
      description: "capture streaming",
      timeoutMs: 60_000,
    });
    const cameras = 8;
    const started = performance.now();
    for (let done = 0; done < HOT; done += 500) {
      const stmts: string[] = [];
      for (let i = done; i < Math.min(HOT, done + 500); i++) {
        stmts.push(
          `INSERT INTO public.counting_results (camera_id, bucket, people_in) VALUES ('cam-${i % cameras}', '2026-01-01T00:00:00Z', 1) ON CONFLICT (camera_id, bucket) DO UPDATE SET people_in = counting_results.people_in + 1;`,
        );
      }
      await client.query(`BEGIN; ${stmts.join(" ")} COMMIT;`);
    }
    await waitFor(() => c.status().coalescedIn >= HOT, {
      description: "hot-key changes shipped",
      timeoutMs: 600_000,
      intervalMs: 10,
    });
    const ms = performance.now() - started;
    const s = c.status();
    await c.stop();
    console.log(
      `${`(c) hot keys, ${cameras} cameras`.padEnd(35)}: ${fmt(HOT)} increments in ${fmt(ms)} ms (${rate(HOT, ms).trim()} end to end, writer-bound)`,
    );
    console.log(
      `    changes in -> rows out          : ${fmt(s.coalescedIn)} -> ${fmt(s.shippedRows)} (${fmt(s.messagesOut)} messages)`,
    );
    console.log(
      `    COALESCING RATIO               : ${(s.coalescedIn / Math.max(1, s.shippedRows)).toFixed(1)}x  (changes per shipped row)`,
    );
  } finally {
    await client.end();
    await db.drop();
  }
}

await ensureStackUp();
await uniformKeys();
if (process.env["GEOREP_BENCH_SKIP_HOT"] !== "1") await hotKeys();
