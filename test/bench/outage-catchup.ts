/**
 * Catch-up after an outage, as production would see it: every region of the stack (three), each
 * replicator its own process, paced writes (BENCH_OUTAGE_RATE commits/s per region) in every region. One region's
 * replicator is killed with SIGKILL, as a crash; writes go on everywhere for the outage
 * (BENCH_OUTAGE_MINUTES), so its slot holds a WAL backlog to ship and Kafka holds the others'
 * commits for it to merge. Then it is restarted and the catch-up is timed from the restart
 * until every region's totals of the outage's commits equal what the writers committed.
 *
 * Writes go on during the catch-up, at the same rate: production does not stop writing because
 * a replicator came back, and the backlog has to be worked off while new commits keep arriving
 * (stopping them would flatter the figure). So that the live commits do not blur the measure,
 * each phase writes its own bucket: warm-up, outage, after the restart. Catch-up ends when every
 * region's outage bucket is complete; the writers then stop, and every bucket must end up equal
 * to the writers' totals in every region (nothing lost, nothing counted twice).
 *
 *   start 3 ─▶ warm-up (merged everywhere) ─▶ kill -9 one ─▶ outage writes ─▶ restart
 *     ─▶ active ─▶ outage bucket complete everywhere (catch-up) ─▶ writers stop ─▶ all equal
 */
import { cpus, loadavg } from "node:os";
import pg from "pg";
import { devKafka, createTestDatabase, readEndpoints, uniqueName } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { WRITER_APPLICATION } from "./cpu-accounting.ts";
import { COUNT_UPSERT, drain, drainSeconds, keyOf, pacedWrites, writersFor } from "./lag-load.ts";
import type { Paced } from "./lag-load.ts";
import { startReplicator } from "./lag-processes.ts";
import type { BenchReplicator } from "./lag-processes.ts";
import { busyBetween } from "./machine.ts";
import { outageLines, outageVerdict } from "./outage-figures.ts";
import type { OutageResult, OutageSettings } from "./outage-figures.ts";
import { machineCpu } from "./proc-cpu.ts";

const BUCKETS = {
  warm: "2026-11-22T09:00:00Z",
  outage: "2026-11-22T10:00:00Z",
  after: "2026-11-22T11:00:00Z",
} as const;
const WARM_SECONDS = 3;

interface Region {
  readonly id: string;
  readonly config: Record<string, unknown>;
  readonly db: TestDatabase;
  readonly pool: pg.Pool;
  proc: BenchReplicator;
}

async function total(pool: pg.Pool, bucket: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    "SELECT coalesce(sum(people_in), 0)::text AS n FROM counting_results WHERE bucket = $1",
    [bucket],
  );
  return Number(rows[0]?.n ?? NaN);
}

/** WAL that the database's replication slot holds back, in bytes. */
async function slotBacklog(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ b: string }>(
    `SELECT coalesce(sum(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)), 0)::text AS b
       FROM pg_replication_slots WHERE database = current_database()`,
  );
  return Number(rows[0]?.b ?? NaN);
}

const committed = (runs: readonly Paced[]): number => runs.reduce((a, w) => a + w.sent, 0);
const since = (t0: number): number => (performance.now() - t0) / 1000;

async function outageRun(minutes: number, rate: number): Promise<OutageResult> {
  const endpoints = readEndpoints();
  const writers = writersFor(rate);
  const tag = uniqueName("o").replaceAll("_", "").slice(-6);
  const ids = endpoints.regions.map((r) => `out${tag}-${r.id}`.slice(0, 31));
  const regions: Region[] = [];
  const dbs: TestDatabase[] = [];
  const live = new AbortController();
  let failed = false;
  const write = (bucket: string, stopAt: number, signal?: AbortSignal): Promise<Paced[]> =>
    Promise.all(
      regions.map((r, i) =>
        pacedWrites(
          rate,
          writers,
          stopAt,
          (n) => r.pool.query(COUNT_UPSERT, [keyOf(i, n), bucket]),
          signal,
        ),
      ),
    );
  /** Sum over regions of each one's bucket total, capped at `truth` so none counts for another. */
  const held = async (bucket: string, truth: number): Promise<number> =>
    (await Promise.all(regions.map((r) => total(r.pool, bucket)))).reduce(
      (a, n) => a + Math.min(n, truth),
      0,
    );
  try {
    for (const [i, cluster] of endpoints.regions.entries()) {
      const db = await createTestDatabase(cluster.id, "bench_outage");
      dbs.push(db);
      const id = ids[i] ?? "";
      const config = {
        region: id,
        regions: ids.map((r) => ({ id: r })),
        postgres: { url: db.url },
        kafka: devKafka(endpoints.kafka.brokers),
        tables: ["counting_results"],
      };
      const proc = await startReplicator(id, config);
      const pool = new pg.Pool({
        connectionString: db.url,
        max: writers + 1, // one more for the convergence polls
        application_name: WRITER_APPLICATION,
      });
      pool.on("error", () => undefined); // idle clients terminated when the database is dropped
      regions.push({ id, config, db, pool, proc });
    }
    const warmTruth = committed(await write(BUCKETS.warm, Date.now() + WARM_SECONDS * 1000));
    const warm = await drain(
      () => held(BUCKETS.warm, warmTruth),
      warmTruth * regions.length,
      60,
      "the warm-up merged everywhere",
    );
    if (!warm.complete)
      throw new Error(`the warm-up's commits were not merged everywhere within 60 s at ${rate}/s`);

    const victim = regions[0] as Region;
    const outage = write(BUCKETS.outage, Date.now() + minutes * 60_000);
    await victim.proc.kill();
    const killedAt = performance.now();
    const during = await outage;
    const outageTruth = committed(during);
    const walBytes = await slotBacklog(victim.pool);

    const after = write(BUCKETS.after, Infinity, live.signal);
    after.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    const restartedAt = performance.now();
    const outageSeconds = (restartedAt - killedAt) / 1000;
    const machine0 = machineCpu();
    victim.proc = await startReplicator(victim.id, victim.config);
    const activeSeconds = since(restartedAt);
    const caughtUp = await drain(
      () => held(BUCKETS.outage, outageTruth),
      outageTruth * regions.length,
      Math.max(60, outageSeconds),
      "every outage commit in every region",
    );
    const catchUpSeconds = since(restartedAt);
    const catchUpCpuSeconds = victim.proc.cpuSeconds();
    const machineBusy = busyBetween(machine0, machineCpu());
    const load = loadavg()[0] ?? NaN;

    live.abort();
    const stoppedAt = performance.now();
    const truths: Array<[string, number]> = [
      [BUCKETS.warm, warmTruth],
      [BUCKETS.outage, outageTruth],
      [BUCKETS.after, committed(await after)],
    ];
    /** Regions whose every bucket equals the writers' total exactly. */
    const equalRegions = async (): Promise<number> => {
      let equal = 0;
      for (const r of regions) {
        const sums = await Promise.all(truths.map(([bucket]) => total(r.pool, bucket)));
        if (sums.every((n, j) => n === truths[j]?.[1])) equal += 1;
      }
      return equal;
    };
    const converged = await drain(
      equalRegions,
      regions.length,
      drainSeconds(),
      "every bucket equal to the writers' totals in every region",
    );
    return {
      minutes,
      victim: victim.id,
      regions: regions.length,
      rate,
      outageSeconds,
      walBacklog: during[0]?.sent ?? 0,
      walBytes,
      kafkaBacklog: outageTruth - (during[0]?.sent ?? 0),
      activeSeconds,
      catchUp: { seconds: catchUpSeconds, complete: caughtUp.complete },
      catchUpCpuSeconds,
      machineBusy,
      load,
      cores: cpus().length,
      converged: { seconds: since(stoppedAt), complete: converged.complete },
    };
  } catch (error) {
    failed = true;
    for (const r of regions) process.stderr.write(`  log of ${r.id}: ${r.proc.logPath}\n`);
    throw error;
  } finally {
    live.abort();
    for (const r of regions) await (failed ? r.proc.kill() : r.proc.stop());
    for (const r of regions) await r.pool.end();
    for (const d of dbs) await d.drop();
  }
}

/**
 * Runs one outage per length in `settings` (outage-figures.ts reads them from the environment),
 * printing each one's figures.
 * @returns one verdict line per outage, for the bench's summary (none when there are none).
 * @throws Error when a run fails (the replicators' logs are named on stderr).
 */
export async function outageCatchUps({ minutes, rate }: OutageSettings): Promise<string[]> {
  const verdicts: string[] = [];
  for (const m of minutes) {
    const result = await outageRun(m, rate);
    process.stdout.write(`${outageLines(result).join("\n")}\n`);
    verdicts.push(outageVerdict(result));
  }
  return verdicts;
}
