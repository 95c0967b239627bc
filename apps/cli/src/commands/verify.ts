import pg from "pg";
import { stateLayout } from "@georep/schema";
import { loadReplicatorConfig } from "@georep/replicator";
import { verifyRegions } from "@georep/verify";
import type { VerifyReport } from "@georep/verify";
import { CliUsageError } from "../errors.ts";

/** `georep verify --config a.json --config b.json …`: are the regions identical? */
export async function verify(configPaths: readonly string[]): Promise<VerifyReport> {
  const configs = configPaths.map(loadReplicatorConfig);
  const pools = configs.map((c) => ({
    region: c.region,
    pool: new pg.Pool({ connectionString: c.postgres.url, max: 2 }),
  }));
  try {
    const first = configs[0];
    if (first === undefined)
      throw new CliUsageError(
        "verify needs at least two --config files, one per region",
        "--config",
      );
    return await verifyRegions(pools, first.schema.tables.map(stateLayout));
  } finally {
    await Promise.all(pools.map((p) => p.pool.end()));
  }
}
