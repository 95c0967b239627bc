/**
 * End-to-end replication lag at a fixed write rate in all three regions, with each region's
 * replicator in its OWN process (`node --import tsx apps/replicator/src/main.ts --config …`), as
 * production runs it. The writers stay in this process, paced at BENCH_RATE commits per second
 * per region. Lag is the merger's own histogram `georep_end_to_end_lag_seconds` (source commit
 * time from the WAL commit record to the moment the remote merge transaction committed, per
 * merged row slice; same machine, same clock), scraped from every replicator's /metrics before
 * and after the measured window and merged across regions. Prints p50/p99 (interpolated within
 * buckets), the highest non-empty bucket, merged rows, the achieved write rate, the p99 against
 * the target, and how busy each replicator and the machine were (a loaded machine skews the
 * figures: compare runs made back to back). After the first rate's window has drained, each
 * replicator's CPU over BENCH_IDLE_SECONDS (10) with no writes: the idle cost (idle-cost.ts).
 *
 * The anchor runs right after, in the same process: PostgreSQL's native logical replication in
 * the same three-region mesh at the same rate, with the same writers (native-mesh.ts). Both are
 * printed side by side with the ratios. BENCH_SWEEP=50,100,200,400 (or `pnpm bench lag --sweep
 * …`) measures both at each rate, prints a table and each one's saturation point (the highest
 * rate with p99 ≤ 1 s), and writes docs/figures/lag-sweep.svg and lag-sweep.json. A window whose
 * writes have not all arrived after BENCH_DRAIN_SECONDS (30) reports lower bounds.
 * BENCH_DELAY=seeds runs georep alone with each region on its own Kafka cluster, reached through
 * delaying proxies with the seeds' WAN delays, and prints each pair's lag above its delay
 * (lag-delay.ts; the native anchor has no delays, so it is not compared).
 *   BENCH_RATE=200 BENCH_SECONDS=15 npx tsx test/bench/lag.bench.ts
 */
import { cpus, loadavg } from "node:os";
import pg from "pg";
import {
  devKafka,
  createTestDatabase,
  ensureStackUp,
  readEndpoints,
  uniqueName,
} from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { combine, histogramBuckets, scalar, startReplicator, summarize } from "./lag-processes.ts";
import type { BenchReplicator } from "./lag-processes.ts";
import { WRITER_APPLICATION } from "./cpu-accounting.ts";
import { formatCpuTable, startCpuSampler } from "./cpu-breakdown.ts";
import { formatMergeTimeSplit } from "./merge-time-split.ts";
import { compareLag, sweepFromEnv } from "./lag-compare.ts";
import { censoredQuantile } from "./lag-figures.ts";
import type { Bounded, LagFigures } from "./lag-figures.ts";
import {
  COUNT_UPSERT,
  LAG_BUCKET,
  drain,
  drainSeconds,
  keyOf,
  pacedWrites,
  writersFor,
} from "./lag-load.ts";
import { nativeMeshLag } from "./native-mesh.ts";
import { busyBetween } from "./machine.ts";
import { idleLines, idleSecondsFromEnv, measureIdle } from "./idle-cost.ts";
import { machineCpu } from "./proc-cpu.ts";
import { delayFromEnv, pairLags, pairLines } from "./lag-delay.ts";
import { seedOneWayMs, startRegionKafka } from "../chaos/region-kafka.ts";
import type { RegionKafka } from "../chaos/region-kafka.ts";

// The target is at 200 commits/s per region.
const singleRate = Number(process.env["BENCH_RATE"] ?? 200);
const sweep = sweepFromEnv();
const seconds = Number(process.env["BENCH_SECONDS"] ?? (sweep === undefined ? 15 : 10));
const partitions = Number(process.env["BENCH_PARTITIONS"] ?? 6);
// Measured in the first run only: the idle cost does not depend on the rate written before.
const idleSeconds = idleSecondsFromEnv();
const idleAtRate = (sweep ?? [singleRate])[0];
const TARGET_P99_MS = 100;
// BENCH_DELAY=seeds: per-region clusters reached over the seeds' WAN delays (lag-delay.ts).
const delay = delayFromEnv();
const LAG = "georep_end_to_end_lag_seconds";

/** Row slices merged so far by all replicators: the lag histogram's counts, every origin. */
async function mergedRows(procs: readonly BenchReplicator[]): Promise<number> {
  const texts = await Promise.all(procs.map((p) => p.scrape()));
  return texts.reduce((n, text) => n + scalar(text, `${LAG}_count`), 0);
}

/** A run too saturated to measure: nothing known but that lag exceeded `waited` seconds. */
const saturated = (
  rate: number,
  achieved: number,
  waited: number,
  expected: number,
): LagFigures => {
  const bound: Bounded = { seconds: waited, atLeast: true };
  return {
    system: "georep",
    rate,
    achieved,
    p50: bound,
    p99: bound,
    arrived: 0,
    expected,
    machineBusy: NaN,
  };
};

const ms = (s: number): string => (Number.isFinite(s) ? `${(s * 1000).toFixed(1)} ms` : "> 5 s");

async function georepLag(rate: number): Promise<LagFigures> {
  const writers = writersFor(rate);
  /** Writes at `rate` commits/s until `stopAt`; resolves with commits made and the seconds it took. */
  const paced = (pool: pg.Pool, region: number, stopAt: number) =>
    pacedWrites(rate, writers, stopAt, (i) =>
      pool.query(COUNT_UPSERT, [keyOf(region, i), LAG_BUCKET]),
    );
  await ensureStackUp();
  const endpoints = readEndpoints();
  const tag = uniqueName("l").replaceAll("_", "").slice(-6);
  const ids = endpoints.regions.map((r) => `lag${tag}-${r.id}`.slice(0, 31));
  const dbs: TestDatabase[] = [];
  const procs: BenchReplicator[] = [];
  const stackIds = endpoints.regions.map((r) => r.id);
  const regionKafka: RegionKafka | undefined =
    delay === undefined ? undefined : await startRegionKafka({ stackIds, oneWayMs: seedOneWayMs });
  const kafkaOf = (i: number): Record<string, unknown> => {
    if (regionKafka === undefined)
      return {
        regions: ids.map((r) => ({ id: r })),
        kafka: { ...devKafka(endpoints.kafka.brokers), partitions },
      };
    const own = regionKafka.configFor(ids, i);
    return { ...own, kafka: { ...(own["kafka"] as object), partitions } };
  };
  const pools: pg.Pool[] = [];
  let failed = false;
  try {
    for (const [i, cluster] of endpoints.regions.entries()) {
      const db = await createTestDatabase(cluster.id, "bench_lag");
      dbs.push(db);
      const id = ids[i] ?? "";
      procs.push(
        await startReplicator(id, {
          region: id,
          ...kafkaOf(i),
          postgres: { url: db.url },
          tables: ["counting_results"],
        }),
      );
      const pool = new pg.Pool({
        connectionString: db.url,
        max: writers,
        application_name: WRITER_APPLICATION, // the CPU breakdown tells these sessions apart
      });
      pool.on("error", () => undefined); // idle clients terminated when the database is dropped
      pools.push(pool);
    }
    // Warm-up: let consumers join and the first batches flow, until every warm-up write merged.
    const warm = await Promise.all(pools.map((p, i) => paced(p, i, Date.now() + 3000)));
    const warmRows = warm.reduce((a, w) => a + w.sent, 0) * (procs.length - 1);
    const warmed = await drain(
      () => mergedRows(procs),
      warmRows,
      60,
      "the warm-up writes to be merged in every other region",
    );
    if (!warmed.complete) {
      console.log(
        `end-to-end lag at ${rate} commits/s per region: the warm-up's writes were not merged within ${warmed.waited.toFixed(0)} s (${warmed.arrived}/${warmRows}); the rate is not sustained`,
      );
      const warmAchieved = warm.reduce((a, w) => a + w.sent / w.seconds, 0) / warm.length;
      return saturated(rate, warmAchieved, warmed.waited, warmRows);
    }
    const before = await Promise.all(procs.map((p) => p.scrape()));
    const cpuSampler = await startCpuSampler({
      databases: dbs.map((d) => ({
        serverUrl: endpoints.regions.find((r) => r.id === d.regionId)?.pgUrl ?? "",
        name: d.name,
      })),
      replicators: procs,
    });
    const cpu0 = procs.map((p) => p.cpuSeconds());
    const machine0 = machineCpu();
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const written = await Promise.all(
      pools.map((p, i) => paced(p, i, Date.now() + seconds * 1000)),
    );
    // Drain: the window ends when the last writes have merged everywhere.
    const drained = warmRows + written.reduce((a, w) => a + w.sent, 0) * (procs.length - 1);
    const landed = await drain(
      () => mergedRows(procs),
      drained,
      drainSeconds(),
      "every write of the window to be merged in every other region",
    );
    const window = (performance.now() - t0) / 1000;
    const after = await Promise.all(procs.map((p) => p.scrape()));
    const cpu = procs.map((p, i) => p.cpuSeconds() - (cpu0[i] ?? 0));
    const machine1 = machineCpu();
    const self = process.cpuUsage(self0);
    const cpuWindow = await cpuSampler.stop();

    let merged = new Map<number, number>();
    for (const [i, text] of after.entries())
      merged = combine(
        merged,
        combine(histogramBuckets(text, LAG), histogramBuckets(before[i] ?? "", LAG), -1),
      );
    const lag = summarize(merged);
    const p50 = lag.quantile(0.5);
    const p99 = lag.quantile(0.99);
    const achieved = written.map((w) => w.sent / w.seconds);
    const mean = achieved.reduce((a, b) => a + b, 0) / achieved.length;
    const expectedRows = written.reduce((a, w) => a + w.sent, 0) * (procs.length - 1);
    const busy = busyBetween(machine0, machine1);
    const out = [
      `end-to-end lag — 3 regions, one replicator process each, ${rate} commits/s per region requested, ${seconds} s, ${partitions} partitions, ${writers} writers per region`,
      `  achieved write rate per region: ${achieved.map((a) => a.toFixed(0)).join(" / ")} /s (mean ${mean.toFixed(0)}/s, ${((mean / rate) * 100).toFixed(0)}% of requested)`,
      `  merged row slices: ${lag.count} (expected ${expectedRows}: every region's writes merged in the 2 others)`,
      `  lag p50 ${ms(p50)}   p99 ${ms(p99)}   (interpolated linearly within histogram buckets)   max bucket ≤ ${ms(lag.maxBucket)}`,
      regionKafka === undefined
        ? `  p99 vs target (≤ ${TARGET_P99_MS} ms above network delay, ≈ 0 here): ${((p99 * 1000) / TARGET_P99_MS).toFixed(2)}× of budget — ${p99 * 1000 <= TARGET_P99_MS ? "OK" : "ABOVE TARGET"}`
        : `  p99 vs target: per pair below, each against its own injected delay`,
    ];
    for (const [i, p] of procs.entries()) {
      const d = (name: string): number =>
        scalar(after[i] ?? "", name) - scalar(before[i] ?? "", name);
      const batches = d("georep_merge_batch_seconds_count");
      out.push(
        `  replicator ${p.region}: CPU ${(((cpu[i] ?? 0) / window) * 100).toFixed(0)}% of one core, ${batches} merge batches, mean ${((d("georep_merge_batch_seconds_sum") / batches) * 1000).toFixed(1)} ms per batch, ${d("georep_merge_rows_total")} rows staged`,
      );
    }
    out.push(
      `  this process (writers only): CPU ${(((self.user + self.system) / 1e6 / window) * 100).toFixed(0)}% of one core`,
      `  machine: ${(busy * 100).toFixed(0)}% CPU busy over the window, load ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores (3 PostgreSQL clusters, Kafka, 3 replicators and the writers share them; others' jobs skew figures)`,
    );
    // Slices not merged when the wait ended: their lag is at least the wait.
    const missing = Math.max(0, expectedRows - lag.count);
    if (!landed.complete)
      out.push(
        `  NOT DRAINED: ${missing} row slices still unmerged ${landed.waited.toFixed(0)} s after the window; the comparison counts them as lagging ≥ that`,
      );
    if (regionKafka !== undefined)
      out.push(
        `  per-region Kafka clusters, reached through delaying proxies (one-way delays as below); what counts is p99 above each pair's delay:`,
        ...pairLines(
          pairLags(
            {
              ids,
              before,
              after,
              oneWayMs: (v, o) => seedOneWayMs(stackIds[v] ?? "", stackIds[o] ?? ""),
            },
            LAG,
          ),
          TARGET_P99_MS,
        ),
      );
    console.log(out.join("\n"));
    const commits = written.reduce((a, w) => a + w.sent, 0);
    console.log(formatCpuTable(cpuWindow, { slices: lag.count, commits }));
    console.log(formatMergeTimeSplit(before, after));
    if (rate === idleAtRate && idleSeconds > 0)
      console.log(
        landed.complete
          ? idleLines(await measureIdle(procs, idleSeconds)).join("\n")
          : "  idle cost not measured: the window's writes had not all merged, so nothing was idle",
      );
    const lastBound = Math.max(...[...merged.keys()].filter(Number.isFinite));
    const bounded = (q: number): Bounded => {
      const b = censoredQuantile(q, lag.count, missing, lag.quantile, landed.waited);
      // In the histogram's +Inf bucket, only the last finite bound is known.
      return b.seconds >= lastBound && lag.maxBucket === Infinity ? { ...b, atLeast: true } : b;
    };
    return {
      system: "georep",
      rate,
      achieved: mean,
      p50: bounded(0.5),
      p99: bounded(0.99),
      arrived: lag.count,
      expected: expectedRows,
      machineBusy: busy,
    };
  } catch (error) {
    failed = true;
    for (const p of procs) console.error(`  log of ${p.region}: ${p.logPath}`);
    throw error;
  } finally {
    for (const p of procs) await (failed ? p.kill() : p.stop());
    for (const p of pools) await p.end();
    for (const d of dbs) await d.drop();
    await regionKafka?.close();
  }
}

// With delays the native anchor (no delays) would not compare like with like: georep alone.
if (delay !== undefined) await georepLag(singleRate);
else
  await compareLag(
    sweep ?? [singleRate],
    seconds,
    { georep: georepLag, native: (rate) => nativeMeshLag(rate, seconds) },
    sweep !== undefined,
  );
