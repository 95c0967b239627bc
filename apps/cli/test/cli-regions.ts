import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { countingResultsSpec, installSchema, parseInstallConfig } from "@georep/schema";
import { devKafka, createTestDatabase } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";

/** One region as the CLI tests use it: its database, a client, and a replicator config file. */
export interface CliRegion {
  readonly region: string;
  readonly db: TestDatabase;
  readonly client: pg.Client;
  readonly config: string;
}

export interface CliRegionsOptions {
  /** Config fields added to the region's config file (slot name, lag levels, ...). */
  readonly config?: (region: string) => Record<string, unknown>;
  /** Runs on the fresh database before the schema is installed (e.g. a database setting). */
  readonly prepare?: (db: TestDatabase) => Promise<void>;
}

/**
 * A database per region (on that region's cluster) with counting_results installed, each with
 * a config file naming every region, as an operator would write it.
 */
export async function cliRegions(
  prefix: string,
  ids: readonly string[],
  options: CliRegionsOptions = {},
): Promise<CliRegion[]> {
  const dir = mkdtempSync(join(tmpdir(), `georep-${prefix}-`));
  const regions = ids.map((id) => ({ id }));
  const out: CliRegion[] = [];
  for (const region of ids) {
    const db = await createTestDatabase(region, prefix);
    await options.prepare?.(db);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await installSchema(
      client,
      parseInstallConfig({ region, regions, tables: [countingResultsSpec] }),
    );
    const config = join(dir, `${region}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        region,
        regions,
        postgres: { url: db.url },
        kafka: devKafka(),
        tables: ["counting_results"],
        ...options.config?.(region),
      }),
    );
    out.push({ region, db, client, config });
  }
  return out;
}

/** Ends the clients and drops the databases. */
export async function closeCliRegions(regions: readonly CliRegion[]): Promise<void> {
  for (const r of regions) await r.client.end();
  for (const r of regions) await r.db.drop();
}
