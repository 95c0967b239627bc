import pg from "pg";
import { installSchema } from "@georep/schema";
import type { InstallReport } from "@georep/schema";
import { audited } from "../audit.ts";
import { loadConfig } from "../config.ts";
import { fields } from "../output/table.ts";
import { pgClientConfig } from "@georep/replicator";

/**
 * `georep schema apply --config <file>`: install or migrate georep in this region's database.
 * Audited: its 'started' row is written in the install's transaction once the migrations ran,
 * the only moment the audit table exists on a fresh database too, so the install and its record
 * commit together (a failed install leaves only its 'failed' row, where the table exists).
 */
export async function schemaApply(configPath: string): Promise<InstallReport> {
  const config = loadConfig(configPath);
  const client = new pg.Client(pgClientConfig(config.postgres, "admin"));
  await client.connect();
  const region = { region: config.region, db: client };
  try {
    return await audited(
      { command: "schema apply", flags: { config: configPath }, regions: [], summary: summarize },
      (trail) =>
        installSchema(client, config.schema, undefined, {
          afterMigrations: (tx) => trail.join(region, tx),
        }),
    );
  } finally {
    await client.end();
  }
}

const summarize = (r: InstallReport): string =>
  `migrations applied: ${r.migrationsApplied.join(", ") || "none"}; tables installed: ${r.tablesInstalled.join(", ") || "none"}; publication changed: ${r.publicationChanged}`;

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
