import pg from "pg";
import { installSchema } from "@georep/schema";
import type { InstallReport } from "@georep/schema";
import { audited } from "../audit.ts";
import { loadConfig } from "../config.ts";
import { fields } from "../output/table.ts";
import { pgClientConfig, setRolePasswords } from "@georep/replicator";

/**
 * `georep schema apply --config <file>`: install or migrate georep in this region's database.
 * Audited: its 'started' row is written in the install's transaction once the migrations ran,
 * the only moment the audit table exists on a fresh database too, so the install and its record
 * commit together (a failed install leaves only its 'failed' row, where the table exists).
 */
export type SchemaApplyReport = InstallReport & { readonly rolePasswordsSet: readonly string[] };

export async function schemaApply(configPath: string): Promise<SchemaApplyReport> {
  const config = loadConfig(configPath);
  const client = new pg.Client(pgClientConfig(config.postgres, "admin"));
  await client.connect();
  const region = { region: config.region, db: client };
  try {
    return await audited(
      { command: "schema apply", flags: { config: configPath }, regions: [], summary: summarize },
      async (trail) => {
        const report = await installSchema(client, config.schema, undefined, {
          afterMigrations: (tx) => trail.join(region, tx),
        });
        // The roles exist now (the installer creates them); postgres.roles names their passwords.
        return { ...report, rolePasswordsSet: await setRolePasswords(client, config.postgres) };
      },
    );
  } finally {
    await client.end();
  }
}

const summarize = (r: SchemaApplyReport): string =>
  `migrations applied: ${r.migrationsApplied.join(", ") || "none"}; tables installed: ${r.tablesInstalled.join(", ") || "none"}; publication changed: ${r.publicationChanged}; role passwords set: ${r.rolePasswordsSet.join(", ") || "none"}`;

export function renderSchemaApply(report: SchemaApplyReport): string {
  const list = (items: readonly (string | number)[]): string =>
    items.length === 0 ? "none" : items.join(", ");
  return fields([
    ["changed", report.changed],
    ["migrations applied", list(report.migrationsApplied)],
    ["tables installed", list(report.tablesInstalled)],
    ["publication changed", report.publicationChanged],
    ["role passwords set", list(report.rolePasswordsSet)],
  ]);
}
