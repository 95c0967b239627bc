import type { Admin } from "kafkajs";
import pg from "pg";
import type { GroundTruth } from "@georep/camera-service";
import { runFleet, seededRandom } from "@georep/camera-service";
import {
  createSecureTestDatabase,
  createTestDatabase,
  devKafka,
  freePort,
  readEndpoints,
  readSecureEndpoints,
  replicatorProcess,
  secureTestKafka,
  testKafka,
  uniqueName,
} from "@georep/testkit";
import type { ReplicatorProcess, TestDatabase } from "@georep/testkit";
import { prepareSecureRegions } from "../security/secure-world.ts";

/** One region of a chaos or ops test: its own database on a stack cluster and its replicator process. */
export interface ChaosRegion {
  readonly id: string;
  readonly db: TestDatabase;
  /** The admin login, for the test's own writes and reads. */
  readonly pool: pg.Pool;
  readonly proc: ReplicatorProcess;
}

export interface ChaosRegions {
  readonly regions: readonly ChaosRegion[];
  /**
   * The replicator config of `region` (for another process of it: a standby, a merge worker), or
   * of a region new to the test on a database from `database()`; `ids` replaces the regions it
   * lists (on the secure stack with their public keys; a new id gets its principal and key pair).
   */
  config(
    region: { readonly id: string; readonly db: TestDatabase },
    extra?: Record<string, unknown>,
    ids?: readonly string[],
  ): Promise<Record<string, unknown>>;
  /** A new, empty database on the stack cluster `cluster` (dropped by the test). */
  database(cluster: string): Promise<TestDatabase>;
  /** A kafkajs admin of the stack's broker (on the secure stack, its admin login). */
  kafkaAdmin(): Admin;
  /** The secure stack's Kafka admin login (for `georep kafka acls --apply`); none on plain. */
  readonly kafkaAdminLogin?: { readonly username: string; readonly passwordFile: string };
  /** Stops every process and drops every database. */
  close(): Promise<void>;
}

/**
 * Which stack the regions run on. `secure`: every link secured as in production (TLS with
 * verify-full and the least-privilege roles, Kafka SASL_SSL with a principal per region and its
 * ACLs, Redis and Sentinel over TLS with logins, signed envelopes, secrets from files;
 * test/security/secure-world.ts). `plain`: trust auth and plaintext, for tests that need what only
 * the plain stack has (another Kafka cluster: `extra.kafka`).
 */
export type ChaosStack = "secure" | "plain";

interface RegionsOptions {
  /** Starts the region ids and database names. */
  readonly prefix: string;
  readonly count?: number;
  /** Merged into every region's config. */
  readonly extra?: Record<string, unknown>;
}

interface RegionSetup {
  readonly id: string;
  readonly db: TestDatabase;
  readonly pool: pg.Pool;
  readonly config: Readonly<Record<string, unknown>>;
}

interface Setup {
  readonly regions: readonly RegionSetup[];
  config(
    region: { id: string; db: TestDatabase },
    ids?: readonly string[],
  ): Promise<Record<string, unknown>>;
  database(cluster: string): Promise<TestDatabase>;
  kafkaAdmin(): Admin;
  readonly kafkaAdminLogin?: { readonly username: string; readonly passwordFile: string };
  close(): Promise<void>;
}

/**
 * Regions with ids of their own (so the Kafka topics are this test's alone), one per stack cluster
 * (the first `count`), each replicator with an HTTP port to scrape. Not started.
 */
export async function chaosRegions(
  options: RegionsOptions & { readonly stack: ChaosStack },
): Promise<ChaosRegions> {
  const setup = options.stack === "secure" ? await secureSetup(options) : await plainSetup(options);
  const regions: ChaosRegion[] = setup.regions.map((r) => ({
    id: r.id,
    db: r.db,
    pool: r.pool,
    proc: replicatorProcess(r.id, r.config),
  }));
  return {
    regions,
    // Another process of a region gets its own HTTP port.
    config: async (region, extra = {}, ids) => ({
      ...(await setup.config(region, ids)),
      http: { port: await freePort() },
      ...extra,
    }),
    database: (cluster) => setup.database(cluster),
    kafkaAdmin: () => setup.kafkaAdmin(),
    ...(setup.kafkaAdminLogin === undefined ? {} : { kafkaAdminLogin: setup.kafkaAdminLogin }),
    async close() {
      for (const r of regions) {
        if (r.proc.running) r.proc.signal("SIGCONT");
        await r.proc.stop();
      }
      await setup.close();
    },
  };
}

async function secureSetup(options: RegionsOptions): Promise<Setup> {
  const secure = await prepareSecureRegions(options);
  const endpoints = readSecureEndpoints();
  const kafka = endpoints.kafka;
  if (kafka === undefined) throw new Error("the secure stack has no Kafka broker");
  const ids = secure.regions.map((r) => r.id);
  return {
    regions: secure.regions,
    config: (region, listed = ids) => secure.configFor(region, listed),
    database: (cluster) => createSecureTestDatabase(endpoints, cluster, options.prefix),
    kafkaAdmin: () => secureTestKafka("georep-chaos-admin").admin(),
    kafkaAdminLogin: secure.kafkaAdmin,
    close: () => secure.close(),
  };
}

async function plainSetup(options: RegionsOptions): Promise<Setup> {
  const endpoints = readEndpoints();
  const tag = uniqueName(options.prefix).replaceAll("_", "").slice(-8);
  const clusters = endpoints.regions.slice(0, options.count ?? endpoints.regions.length);
  const ids = clusters.map((r) => `${options.prefix}${tag}-${r.id}`.slice(0, 31));
  const config = async (r: { id: string; db: TestDatabase }, listed: readonly string[] = ids) => ({
    region: r.id,
    regions: listed.map((x) => ({ id: x })),
    postgres: { url: r.db.url },
    // The stack's single broker; a test on another cluster passes `kafka` in `extra`.
    kafka: devKafka(endpoints.kafka.brokers),
    tables: ["counting_results"],
    http: { port: await freePort() },
    ...options.extra,
  });
  const regions: RegionSetup[] = [];
  for (const [i, cluster] of clusters.entries()) {
    const id = ids[i] ?? "";
    const db = await createTestDatabase(cluster.id, options.prefix);
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    regions.push({ id, db, pool, config: await config({ id, db }) });
  }
  return {
    regions,
    config,
    database: (cluster) => createTestDatabase(cluster, options.prefix),
    kafkaAdmin: () => testKafka("georep-chaos-admin").admin(),
    async close() {
      for (const r of regions) {
        if (!r.pool.ended) await r.pool.end(); // a test may have ended it (a lost region)
        await r.db.drop();
      }
    },
  };
}

/**
 * One round of camera writes in every region, counted into `truth`. A camera's counters are
 * cumulative per fleet run, so each round writes cameras of its own (`cam-<round>-<n>`).
 */
export function writeRound(
  regions: readonly ChaosRegion[],
  o: { seed: number; round: number; operations: number; cameras: number; truth: GroundTruth },
): Promise<unknown> {
  return Promise.all(
    regions.map((r, i) =>
      runFleet(
        {
          region: r.id,
          pool: r.pool,
          cameraIds: Array.from({ length: o.cameras }, (_v, c) => `cam-${o.round}-${c + 1}`),
          buckets: ["2026-11-22T10:00:00.000Z", "2026-11-22T11:00:00.000Z"],
          concurrency: 2,
          random: seededRandom(o.seed + 10 * o.round + i),
        },
        o.operations,
        o.truth,
      ),
    ),
  );
}
