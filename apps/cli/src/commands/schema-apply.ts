import pg from "pg";
import { installSchema } from "@georep/schema";
import type { InstallReport } from "@georep/schema";
import { loadReplicatorConfig } from "@georep/replicator";

/** `georep schema apply --config <file>`: install or migrate georep in this region's database. */
export async function schemaApply(configPath: string): Promise<InstallReport> {
  const config = loadReplicatorConfig(configPath);
  const client = new pg.Client({ connectionString: config.postgres.url });
  await client.connect();
  try {
    return await installSchema(client, config.schema);
  } finally {
    await client.end();
  }
}
