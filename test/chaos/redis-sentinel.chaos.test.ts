import { readFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroundTruth, seededRandom, writeReport } from "@georep/camera-service";
import type { CountReport } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { cacheKey } from "@georep/replicator";
import {
  ensureSecureStack,
  findRepoRoot,
  readSecretFile,
  scalar,
  secureSentinelOptions,
  waitFor,
} from "@georep/testkit";
import type { SecureEndpoints } from "@georep/testkit";
import { secureConfig } from "../../tools/stack/secure-config.ts";
import { secureRedisGroup } from "../../tools/stack/secure-stack.ts";
import type { SentinelGroup } from "../../tools/stack/sentinel.ts";
import { chaosRegions } from "./chaos-regions.ts";
import type { ChaosRegion, ChaosRegions } from "./chaos-regions.ts";
import { regionsExact } from "./exact-regions.ts";

/**
 * Chaos: the Redis read cache's master fails over while every region writes: first a planned
 * `SENTINEL FAILOVER`, then a `kill -9` of the new master. For each fault it measures how long a
 * Sentinel-configured reader (as a service would run one) takes until it reads, from the cache, a
 * total that includes a write made after the fault (the seeds' cache RTO is 2 min), and afterwards
 * every region's cache must equal its PostgreSQL totals.
 *
 * On the secure stack: its Redis master, replica and three Sentinels (TLS, ACL logins; the
 * replicators and the reader log in as `georep`), which this test fails over; it restarts the
 * killed node, so the group ends as it began (the same master, a replica in sync). Failing the
 * shared group over disturbs any other test using it, so this runs in the `chaos` project.
 */
const TABLE = "public.counting_results";
const KEY_ORDER = ["camera_id", "bucket"];
const BUCKETS = ["2026-11-22 10:00:00+00", "2026-11-22 11:00:00+00"];
const CAMERAS = ["cam-1", "cam-2", "cam-3", "cam-4", "cam-5", "cam-6"];
/** Written once before the faults, never again: only a rebuild can bring their cache back. */
const QUIET = ["quiet-1", "quiet-2", "quiet-3"];
const PROBE = "probe";

describe("chaos: Redis Sentinel failover of the counter cache during writes", () => {
  const { seed } = propertyConfig();
  let chaos: ChaosRegions;
  let regions: readonly ChaosRegion[] = [];
  let endpoints: SecureEndpoints;
  let group: SentinelGroup;
  let reader: Redis;
  let killedNode: number | undefined;
  let stopLoad = (): Promise<unknown> => Promise.resolve();
  let watchers: Redis[] = [];

  beforeAll(async () => {
    endpoints = await ensureSecureStack();
    group = await secureRedisGroup(secureConfig(findRepoRoot(), process.env));
    chaos = await chaosRegions({ stack: "secure", prefix: "rs" });
    regions = chaos.regions;
    for (const r of regions) await r.proc.start();
    // A service's reader: Sentinel-configured, short timeouts, so a failed read fails fast.
    reader = new Redis({
      ...secureSentinelOptions(endpoints),
      commandTimeout: 500,
      maxRetriesPerRequest: 0,
    });
    reader.on("error", () => undefined);
    watchers = followSwitches(reader);
  });

  afterAll(async () => {
    await stopLoad();
    for (const w of watchers) w.disconnect();
    reader.disconnect();
    await chaos.close();
    // The shared group as it was: the killed node back, as a replica in sync.
    if (killedNode !== undefined) {
      await group.restart(killedNode);
      await group.waitForMaster({ replica: true, timeoutMs: 60_000 });
    }
  });

  it(`reads the cache again within the RTO and ends exact in every region (seed ${seed})`, async () => {
    const [home] = regions;
    if (home === undefined) throw new Error("three regions expected");
    const truth = new GroundTruth();
    const random = seededRandom(seed);
    const report = (region: string, cameraId: string, bucket: string): CountReport => ({
      cameraId,
      bucket,
      peopleIn: 1 + Math.floor(random() * 5),
      peopleOut: Math.floor(random() * 3),
      vehicleIn: 0,
      vehicleOut: 0,
      homeRegion: region,
      modelVersion: "v1",
    });
    const write = async (r: ChaosRegion, cameraId: string, bucket: string): Promise<void> => {
      const one = report(r.id, cameraId, bucket);
      await writeReport(r.pool, one);
      truth.record(one);
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

    for (const r of regions) for (const q of QUIET) await write(r, q, BUCKETS[0] ?? "");
    await cacheEqualsPostgres();

    const phase = { writing: true };
    const writers = Promise.all(
      regions.map(async (r) => {
        let n = 0;
        while (phase.writing) {
          await write(r, pick(CAMERAS), pick(BUCKETS));
          n += 1;
          // Pacing, not waiting: a few hundred writes a second would starve two cores.
          await delay(15);
        }
        return n;
      }),
    );

    const reads = readLoop();
    // On a failure too: no write may outlive the pools afterAll closes.
    stopLoad = async () => {
      phase.writing = false;
      await Promise.allSettled([writers, reads.stop()]);
    };
    const probeKey = cacheKey(home.id, TABLE, { camera_id: PROBE, bucket: BUCKETS[0] }, KEY_ORDER);
    /**
     * Seconds from `t0` until the cache serves a total that includes a write made once the
     * Sentinels named the new master (so the read cannot come from the old one).
     */
    const freshAfter = async (t0: number): Promise<number> => {
      await write(home, PROBE, BUCKETS[0] ?? "");
      const { rows } = await home.pool.query<{ n: string }>(
        "SELECT people_in::text AS n FROM counting_results WHERE camera_id = $1 AND bucket = $2",
        [PROBE, BUCKETS[0]],
      );
      const want = BigInt(rows[0]?.n ?? "0");
      await waitFor(
        async () => BigInt((await reader.hget(probeKey, "people_in")) ?? "-1") >= want,
        { description: "the cache to serve the probe written after the fault", timeoutMs: 120_000 },
      );
      return (performance.now() - t0) / 1000;
    };

    // Fault 1: a planned failover.
    const before = await group.master();
    const t1 = performance.now();
    await group.failover();
    const promoted = await group.waitForMaster({ previous: before.port, replica: false });
    const freshPlanned = await freshAfter(t1);
    // The demoted master must be a replica in sync before the next fault can fail over to it.
    await group.waitForMaster({ replica: true });

    // What an asynchronous replica can lose, made certain: the quiet rows' cache entries are
    // gone from the master (and so from its replica) before it is killed.
    const quietKeys = regions.flatMap((r) =>
      QUIET.map((q) => cacheKey(r.id, TABLE, { camera_id: q, bucket: BUCKETS[0] }, KEY_ORDER)),
    );
    // On the master itself, as `georep` (which may not WAIT): replicated before the kill (the
    // replica's offset reached the master's), or the kill could undo it.
    const admin = new Redis({ host: promoted.host, port: promoted.port, ...georepLogin() });
    try {
      await admin.del(...quietKeys);
      const sent = field(await admin.info("replication"), "master_repl_offset");
      await waitFor(
        async () => {
          const acked = /^slave0:.*offset=(\d+)/m.exec(await admin.info("replication"))?.[1];
          return Number(acked ?? -1) >= sent;
        },
        { description: "the replica to acknowledge the deletes", timeoutMs: 10_000 },
      );
    } finally {
      admin.disconnect();
    }
    const rebuildsBefore = await rebuilds();

    // Fault 2: the master dies.
    const t2 = performance.now();
    group.kill(promoted.port);
    killedNode = promoted.port;
    await group.waitForMaster({ previous: promoted.port, replica: false });
    const freshKilled = await freshAfter(t2);

    phase.writing = false;
    const written = await writers;
    const outage = await reads.stop();
    const planned = outage.readsBackAfter(t1, t2);
    const killed = outage.readsBackAfter(t2, Number.POSITIVE_INFINITY);
    console.log(
      `cache RTO (seed ${seed}): SENTINEL FAILOVER: reads back after ${planned.toFixed(2)} s, ` +
        `fresh reads after ${freshPlanned.toFixed(2)} s; kill -9 of the master: reads back after ` +
        `${killed.toFixed(2)} s, fresh reads after ${freshKilled.toFixed(2)} s ` +
        `(target 120 s; ${written.join("+")} writes, ${outage.failures} failed reads of ${outage.reads})`,
    );

    await waitFor(() => regionsExact(regions, truth), {
      description: `regions identical with exact totals (seed ${seed})`,
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    await cacheEqualsPostgres();
    expect(await rebuilds()).toBeGreaterThan(rebuildsBefore);
    expect(freshPlanned).toBeLessThan(120);
    expect(freshKilled).toBeLessThan(120);
  });

  /**
   * Moves a client to the new master when a Sentinel announces it, as the replicator's cache
   * client does (apps/replicator/src/cache-failover.ts; docs/cache.md says why services should).
   */
  function followSwitches(client: Redis): Redis[] {
    const { redis } = endpoints;
    return redis.sentinels.map((s) => {
      const watcher = new Redis({
        host: s.host,
        port: s.port,
        tls: { ca: readFileSync(endpoints.caFile, "utf8") },
        username: redis.sentinelUsername,
        password: readSecretFile(redis.sentinelPasswordFile),
      });
      watcher.on("error", () => undefined);
      watcher.subscribe("+switch-master").catch((error: unknown) => {
        console.warn(`cannot watch Sentinel ${s.port}:`, error);
      });
      watcher.on("message", () => {
        if (client.status === "ready") client.disconnect(true);
      });
      return watcher;
    });
  }

  /** Full cache rebuilds finished, over all regions. */
  async function rebuilds(): Promise<number> {
    let n = 0;
    for (const r of regions) n += scalar(await r.proc.scrape(), "georep_cache_rebuilds_total");
    return n;
  }

  /** A data node's login as the replicators' cache user, over TLS. */
  function georepLogin(): RedisOptions {
    const { redis } = endpoints;
    return {
      tls: { ca: readFileSync(endpoints.caFile, "utf8") },
      username: redis.username,
      password: readSecretFile(redis.passwordFile),
    };
  }

  /** A numeric field of an INFO reply. */
  function field(info: string, name: string): number {
    return Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? Number.NaN);
  }

  /** Every key matching `pattern`, by SCAN (`georep` may not run KEYS). */
  async function keysLike(pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await reader.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0");
    return keys;
  }

  /** Waits until every region's cache holds exactly its PostgreSQL totals, and nothing more. */
  async function cacheEqualsPostgres(): Promise<void> {
    await waitFor(
      async () => {
        for (const r of regions) {
          const { rows } = await r.pool.query<Record<string, string>>(
            `SELECT camera_id, bucket::text AS bucket, people_in::text AS people_in,
                    people_out::text AS people_out, vehicle_in::text AS vehicle_in,
                    vehicle_out::text AS vehicle_out FROM counting_results`,
          );
          for (const row of rows) {
            const cached = await reader.hgetall(cacheKey(r.id, TABLE, row, KEY_ORDER));
            for (const c of ["people_in", "people_out", "vehicle_in", "vehicle_out"])
              if (cached[c] !== row[c])
                throw new Error(
                  `${r.id}: cached ${JSON.stringify(cached)}, PostgreSQL ${JSON.stringify(row)}`,
                );
          }
          const keys = await keysLike(`georep:${r.id}:${TABLE}:*`);
          if (keys.length !== rows.length)
            throw new Error(`${r.id}: ${keys.length} cached rows, ${rows.length} in PostgreSQL`);
        }
        return true;
      },
      { description: "every region's cache to equal its PostgreSQL totals", timeoutMs: 60_000 },
    );
  }

  /** Reads the probe key every 50 ms and records which reads failed (timeouts included). */
  function readLoop() {
    const log: Array<{ at: number; ok: boolean }> = [];
    // An object, so the compiler sees that stop() changes it between awaits.
    const state: { running: boolean } = { running: true };
    const done = (async () => {
      while (state.running) {
        const at = performance.now();
        // HGET, a service's read of a cached row (`georep` may not GET: the cache holds hashes).
        const ok = await reader.hget("georep:probe:read", "people_in").then(
          () => true,
          () => false,
        );
        log.push({ at, ok });
        await delay(50);
      }
    })();
    return {
      async stop() {
        state.running = false;
        await done;
        return {
          reads: log.length,
          failures: log.filter((r) => !r.ok).length,
          /**
           * Seconds from the fault at `from` until reads succeed again: the first success after
           * the last failed read in [from, to); 0 when none failed.
           */
          readsBackAfter(from: number, to: number): number {
            const failed = log.filter((r) => r.at >= from && r.at < to && !r.ok).at(-1);
            if (failed === undefined) return 0;
            const back = log.find((r) => r.at > failed.at && r.ok);
            return ((back?.at ?? performance.now()) - from) / 1000;
          },
        };
      },
    };
  }
});
