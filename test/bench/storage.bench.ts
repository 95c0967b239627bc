/**
 * Storage stays bounded under a rolling camera workload (tombstone collection, docs/data-model.md
 * "Tombstones"). Three regions, each replicator in its own process. Each region's camera inserts
 * a new bucket at BENCH_RATE (20) buckets/s and deletes the bucket BENCH_LIVE (100) buckets older,
 * as retention does, for 10 × BENCH_LIVE buckets. Prints, per region, state rows ÷ live rows at
 * its worst during the writes (tombstones wait a few heartbeats for the barrier, so this grows
 * with the rate) and at the end (once collection caught up, or BENCH_SETTLE_SECONDS,
 * 60, after the last write), against the target of 1.2.
 *   BENCH_LIVE=100 BENCH_RATE=20 npx tsx test/bench/storage.bench.ts
 */
import pg from "pg";
import { countingResultsSpec, parseTableSpec, stateLayout } from "@georep/schema";
import {
  devKafka,
  createTestDatabase,
  ensureStackUp,
  readEndpoints,
  uniqueName,
  waitFor,
  WaitForTimeoutError,
} from "@georep/testkit";
import { startPeriodic } from "@georep/retry";
import type { TestDatabase } from "@georep/testkit";
import { startReplicator } from "./lag-processes.ts";
import type { BenchReplicator } from "./lag-processes.ts";

const live = Number(process.env["BENCH_LIVE"] ?? 100);
const rate = Number(process.env["BENCH_RATE"] ?? 20);
const settleSeconds = Number(process.env["BENCH_SETTLE_SECONDS"] ?? 60);
const total = 10 * live;
const TARGET = 1.2;
const STATE = stateLayout(parseTableSpec(countingResultsSpec)).stateTable;
const BASE = "2026-01-01T00:00:00Z";

interface Ratio {
  readonly state: number;
  readonly live: number;
}
const ratioOf = (r: Ratio): number => (r.live === 0 ? Infinity : r.state / r.live);

async function measure(pool: pg.Pool): Promise<Ratio> {
  const { rows } = await pool.query<Ratio>(
    `SELECT (SELECT count(*)::int FROM ${STATE}) AS state,
            (SELECT count(*)::int FROM counting_results) AS live`,
  );
  return rows[0] ?? { state: 0, live: 0 };
}

/** Bucket t of `camera` in, bucket t − live out, one transaction per step, paced at `rate`. */
async function rolling(pool: pg.Pool, camera: string, region: string): Promise<void> {
  const started = Date.now();
  for (let t = 0; t < total; t++) {
    const due = started + (t * 1000) / rate;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    await pool.query(
      `WITH ins AS (
         INSERT INTO counting_results (camera_id, bucket, people_in, home_region)
         VALUES ($1, $2::timestamptz + make_interval(mins => $3), 1 + $3 % 7, $4) RETURNING 1)
       DELETE FROM counting_results WHERE camera_id = $1 AND bucket = $2::timestamptz + make_interval(mins => $3 - $5)`,
      [camera, BASE, t, region, live],
    );
  }
}

await ensureStackUp();
const endpoints = readEndpoints();
const tag = uniqueName("s").replaceAll("_", "").slice(-6);
const ids = endpoints.regions.map((r) => `gc${tag}-${r.id}`.slice(0, 31));
const dbs: TestDatabase[] = [];
const procs: BenchReplicator[] = [];
const pools: pg.Pool[] = [];
let failed = false;
try {
  for (const [i, cluster] of endpoints.regions.entries()) {
    const db = await createTestDatabase(cluster.id, "bench_gc");
    dbs.push(db);
    const id = ids[i] ?? "";
    procs.push(
      await startReplicator(id, {
        region: id,
        regions: ids.map((r) => ({ id: r })),
        postgres: { url: db.url },
        kafka: devKafka(endpoints.kafka.brokers),
        tables: ["counting_results"],
        merge: { collectTombstones: true, collectionIntervalMs: 1_000, collectionGraceSeconds: 0 },
      }),
    );
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on("error", () => undefined); // idle clients terminated when the database is dropped
    pools.push(pool);
  }
  const worst = pools.map(() => 0);
  // Sampled every second while writing (one sample at a time); a failed sample fails the bench.
  let sampleError: Error | undefined;
  const sampler = startPeriodic(
    async () => {
      for (const [i, p] of pools.entries()) {
        // From the steady state on: every camera holds its `live` buckets (give or take lag).
        const r = await measure(p);
        if (r.live >= 2 * live) worst[i] = Math.max(worst[i] ?? 0, ratioOf(r));
      }
    },
    {
      intervalMs: 1000,
      onError: (error) => {
        sampleError ??= error instanceof Error ? error : new Error(String(error));
      },
    },
  );
  const started = Date.now();
  await Promise.all(pools.map((p, i) => rolling(p, `cam-${i}`, ids[i] ?? "")));
  const wrote = (Date.now() - started) / 1000;
  await sampler.stop();
  if (sampleError !== undefined) throw sampleError;
  const settleStart = Date.now();
  let end = await Promise.all(pools.map(measure));
  // Polls until every region is settled; past settleSeconds the figures print as they are.
  await waitFor(
    async () => {
      end = await Promise.all(pools.map(measure));
      return end.every((r) => ratioOf(r) <= TARGET && r.live === 3 * live);
    },
    { description: "every region settled", timeoutMs: settleSeconds * 1000, intervalMs: 1000 },
  ).catch((error: unknown) => {
    if (!(error instanceof WaitForTimeoutError)) throw error;
  });
  const settled = (Date.now() - settleStart) / 1000;
  const met = end.every((r) => ratioOf(r) <= TARGET);
  console.log(
    `storage — 3 regions, one replicator process each; per region ${total} buckets inserted at ${rate}/s (${wrote.toFixed(1)} s), each deleted ${live} buckets later; collection every 1 s, heartbeats every 5 s`,
  );
  console.log(
    "region                          live rows  state rows  state/live at end  worst while writing (steady state)",
  );
  for (const [i, r] of end.entries())
    console.log(
      `${(ids[i] ?? "").padEnd(31)} ${String(r.live).padStart(9)}  ${String(r.state).padStart(10)}  ${ratioOf(r).toFixed(2).padStart(17)}  ${(worst[i] ?? 0).toFixed(2).padStart(34)}`,
    );
  console.log(
    `target: state rows ÷ live rows ≤ ${TARGET} in every region at the end (${settled.toFixed(1)} s after the last write): ${met ? "met" : "NOT met"}`,
  );
  failed = !met;
} catch (error) {
  failed = true;
  throw error;
} finally {
  for (const p of procs) await (failed ? p.kill() : p.stop());
  for (const p of pools) await p.end();
  for (const d of dbs) await d.drop();
}
process.exitCode = failed ? 1 : 0;
