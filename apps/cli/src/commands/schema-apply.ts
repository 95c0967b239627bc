import pg from "pg";
import { installSchema } from "@georep/schema";
import type { InstallReport } from "@georep/schema";
import { loadConfig } from "../config.ts";
import { fields } from "../output/table.ts";

/** `georep schema apply --config <file>`: install or migrate georep in this region's database. */
export async function schemaApply(configPath: string): Promise<InstallReport> {
  const config = loadConfig(configPath);
  const client = new pg.Client({ connectionString: config.postgres.url });
  await client.connect();
  try {
    return await installSchema(client, config.schema);
  } finally {
    await client.end();
  }
}

export function renderSchemaApply(report: InstallReport): string {
  const list = (items: readonly (string | number)[]): string =>
    items.length === 0 ? "none" : items.join(", ");
  return fields([
    ["changed", report.changed],
    ["migrations applied", list(report.migrationsApplied)],
    ["tables installed", list(report.tablesInstalled)],
    ["publication changed", report.publicationChanged],
  ]);
}
