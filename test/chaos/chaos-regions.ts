import pg from "pg";
import type { GroundTruth } from "@georep/camera-service";
import { runFleet, seededRandom } from "@georep/camera-service";
import {
  createTestDatabase,
  devKafka,
  freePort,
  readEndpoints,
  replicatorProcess,
  uniqueName,
} from "@georep/testkit";
import type { ReplicatorProcess, TestDatabase } from "@georep/testkit";

/** One region of a chaos or ops test: its own database on a stack cluster and its replicator process. */
export interface ChaosRegion {
  readonly id: string;
  readonly db: TestDatabase;
  readonly pool: pg.Pool;
  readonly proc: ReplicatorProcess;
}

export interface ChaosRegions {
  readonly regions: readonly ChaosRegion[];
  /** The replicator config of `region` (for another process of it: a standby, a merge worker). */
  config(region: ChaosRegion, extra?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Stops every process and drops every database. */
  close(): Promise<void>;
}

/**
 * Regions with ids of their own (so the Kafka topics are this test's alone), one per stack cluster
 * (the first `count`), each replicator with an HTTP port to scrape. Not started.
 */
export async function chaosRegions(options: {
  readonly prefix: string;
  readonly count?: number;
  readonly extra?: Record<string, unknown>;
}): Promise<ChaosRegions> {
  const endpoints = readEndpoints();
  const tag = uniqueName(options.prefix).replaceAll("_", "").slice(-8);
  const clusters = endpoints.regions.slice(0, options.count ?? endpoints.regions.length);
  const ids = clusters.map((r) => `${options.prefix}${tag}-${r.id}`.slice(0, 31));
  const config = async (r: { id: string; db: TestDatabase }, extra = {}) => ({
    region: r.id,
    regions: ids.map((x) => ({ id: x })),
    postgres: { url: r.db.url },
    // The stack's single broker; a test on another cluster passes `kafka` in `extra`.
    kafka: devKafka(endpoints.kafka.brokers),
    tables: ["counting_results"],
    http: { port: await freePort() },
    ...options.extra,
    ...extra,
  });
  const regions: ChaosRegion[] = [];
  for (const [i, cluster] of clusters.entries()) {
    const id = ids[i] ?? "";
    const db = await createTestDatabase(cluster.id, options.prefix);
    const proc = replicatorProcess(id, await config({ id, db }));
    regions.push({ id, db, pool: new pg.Pool({ connectionString: db.url, max: 4 }), proc });
  }
  return {
    regions,
    config,
    async close() {
      for (const r of regions) {
        if (r.proc.running) r.proc.signal("SIGCONT");
        await r.proc.stop();
      }
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
