import pg from "pg";
import { createLogger, createMetrics, systemClock } from "@georep/observability";
import type { Metrics } from "@georep/observability";
import { createReplicator, parseReplicatorConfig } from "@georep/replicator";
import type { Replicator } from "@georep/replicator";
import { devKafka, createTestDatabase, readEndpoints, uniqueName } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";

export interface Region {
  readonly id: string;
  readonly db: TestDatabase;
  readonly pool: pg.Pool;
  readonly metrics: Metrics;
  replicator: Replicator;
}

export interface ThreeRegions {
  readonly regions: readonly Region[];
  /** A second, not yet started replicator for a region (an active/standby pair). */
  spare(region: Region): Replicator;
  close(): Promise<void>;
}

/**
 * Three regions on the stack's three clusters, each with its own fresh database and region ids
 * of their own (so Kafka topics `georep.<region>` belong to this test alone).
 */
export async function startThreeRegions(
  prefix: string,
  /** Residency zone per region index (the stack's region order), e.g. [undefined, "eu", "eu"]. */
  zones: ReadonlyArray<string | undefined> = [],
  /**
   * More replicator config, the same for every region (e.g. `merge` settings), or per region: a
   * function of the region's index and every region id (its result may replace `regions`).
   */
  extra:
    | Readonly<Record<string, unknown>>
    | ((index: number, ids: readonly string[]) => Readonly<Record<string, unknown>>) = {},
): Promise<ThreeRegions> {
  const endpoints = readEndpoints();
  const tag = uniqueName("e").replaceAll("_", "").slice(-8);
  const ids = endpoints.regions.map((r) => `${prefix}-${tag}-${r.id}`.slice(0, 31));
  const make = (id: string, url: string, metrics: Metrics): Replicator =>
    createReplicator({
      config: parseReplicatorConfig({
        region: id,
        regions: ids.map((x, i) =>
          zones[i] === undefined ? { id: x } : { id: x, zone: zones[i] },
        ),
        postgres: { url },
        kafka: devKafka(endpoints.kafka.brokers),
        redis: { url: endpoints.redis.url },
        tables: ["counting_results"],
        ...(typeof extra === "function" ? extra(ids.indexOf(id), ids) : extra),
      }),
      // Errors only: a stop step that overran, or a role that failed, shows in the test output.
      logger: createLogger({ name: id, level: "error" }),
      metrics,
      clock: systemClock,
    });
  const regions: Region[] = [];
  for (const [i, cluster] of endpoints.regions.entries()) {
    const id = ids[i] ?? "";
    const db = await createTestDatabase(cluster.id, prefix.replaceAll("-", "_"));
    const metrics = createMetrics();
    const replicator = make(id, db.url, metrics);
    await replicator.start();
    regions.push({
      id,
      db,
      pool: new pg.Pool({ connectionString: db.url, max: 6 }),
      metrics,
      replicator,
    });
  }
  return {
    regions,
    spare: (region) => make(region.id, region.db.url, createMetrics()),
    async close() {
      for (const r of regions) await r.replicator.stop();
      for (const r of regions) {
        await r.pool.end();
        await r.db.drop();
      }
    },
  };
}
