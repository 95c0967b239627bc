import type { ClientBase } from "pg";
import type { Logger } from "@georep/observability";
import { InstallError } from "./errors.ts";
import type { InstallConfig } from "./install-config.ts";
import { stateLayout } from "./layout.ts";
import type { StateLayout } from "./layout.ts";
import { backfillSql } from "./sql/backfill.ts";
import {
  captureTriggerSql,
  captureTriggersSql,
  REFUSE_TRUNCATE_SQL,
} from "./sql/capture-trigger.ts";
import { ENGINE_MIGRATIONS } from "./sql/engine-schema.ts";
import { collectFunctionSql } from "./sql/collect-function.ts";
import { ownOriginGuardSql } from "./sql/own-origin-guard.ts";
import { PUBLICATION, publicationSql } from "./sql/publication.ts";
import { ROLES_SQL, ROW_WRITER_ROLE_SQL, tableGrantsSql } from "./sql/roles.ts";
import { stateTableSql, userTableSql, userTableWidenSql } from "./sql/state-table.ts";
import { SWITCH_INCARNATION_FN, switchIncarnationSql } from "./sql/incarnation-switch.ts";
import { userRowFunctionsSql } from "./sql/user-row-functions.ts";
import { visibleViewSql } from "./sql/visible-view.ts";

import { recordFirstIncarnationSql } from "./incarnation.ts";
import type { LocalReplica } from "./sql/capture-trigger.ts";
import { specHash } from "./spec-hash.ts";

export interface InstallReport {
  readonly migrationsApplied: number[];
  readonly tablesInstalled: string[];
  readonly publicationChanged: boolean;
  readonly changed: boolean;
}

export interface InstallHooks {
  /**
   * Runs in the install's transaction once the engine migrations are applied (so every engine
   * table exists, on a fresh database too), before the region is claimed or any table installed.
   * Whatever it writes commits with the install; throwing rolls the whole install back.
   * `georep schema apply` records its audit row here.
   */
  readonly afterMigrations?: (client: ClientBase) => Promise<void>;
}

/**
 * Applies engine migrations and every table spec to one region's database, in one transaction
 * under an advisory lock. Idempotent: a second run with the same config executes no DDL.
 * Throws InstallError (with the SQLSTATE) when PostgreSQL refuses a step, or what
 * `hooks.afterMigrations` threw.
 */
export async function installSchema(
  client: ClientBase,
  config: InstallConfig,
  logger?: Logger,
  hooks: InstallHooks = {},
): Promise<InstallReport> {
  const step = async (
    name: string,
    sql: string,
    params: unknown[] = [],
  ): Promise<Array<Record<string, unknown>>> => {
    try {
      return (await client.query(sql, params)).rows as Array<Record<string, unknown>>;
    } catch (error) {
      throw new InstallError(
        `installing georep schema for region '${config.region}' failed: ${(error as Error).message}`,
        { cause: error, step: name },
      );
    }
  };
  await step("begin", "BEGIN");
  try {
    await step("lock", "SELECT pg_advisory_xact_lock(hashtext('georep.install'))");
    await step(
      "schema",
      "CREATE SCHEMA IF NOT EXISTS georep; CREATE TABLE IF NOT EXISTS georep.migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())",
    );
    const done = new Set(
      (await step("migrations", "SELECT version FROM georep.migrations")).map((r) =>
        Number(r["version"]),
      ),
    );
    const migrationsApplied: number[] = [];
    for (const m of ENGINE_MIGRATIONS.filter((x) => !done.has(x.version))) {
      await step(`migration ${m.version}`, m.sql);
      await step(
        `migration ${m.version}`,
        "INSERT INTO georep.migrations (version, description) VALUES ($1, $2)",
        [m.version, m.description],
      );
      migrationsApplied.push(m.version);
    }
    if (migrationsApplied.length > 0) await step("roles", `${REFUSE_TRUNCATE_SQL}\n${ROLES_SQL}`);
    await hooks.afterMigrations?.(client);
    await claimRegion(step, config.region);
    await syncRegions(step, config);
    const local = await localReplica(step, config.region);
    const layouts = config.tables.map(stateLayout);
    const tablesInstalled: string[] = [];
    for (const layout of layouts) {
      if (await installTable(step, layout, local))
        tablesInstalled.push(`${layout.spec.schema}.${layout.spec.name}`);
    }
    const publicationChanged = await syncPublication(
      step,
      layouts,
      { region: config.region, replica: local.replica },
      tablesInstalled.length > 0,
    );
    await syncIncarnationSwitch(step, layouts, config.region, tablesInstalled.length > 0);
    await step("commit", "COMMIT");
    const report = {
      migrationsApplied,
      tablesInstalled,
      publicationChanged,
      changed: migrationsApplied.length + tablesInstalled.length > 0 || publicationChanged,
    };
    logger?.info({ region: config.region, ...report }, "georep schema installed");
    return report;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined); // the original error is the one to report
    throw error;
  }
}

type Step = (
  name: string,
  sql: string,
  params?: unknown[],
) => Promise<Array<Record<string, unknown>>>;

/** A database belongs to one region for life: installing another region's config is refused. */
async function claimRegion(step: Step, region: string): Promise<void> {
  const rows = await step("region", "SELECT value FROM georep.settings WHERE key = 'region'");
  const current = rows[0]?.["value"] as string | undefined;
  if (current === undefined) {
    await step("region", "INSERT INTO georep.settings (key, value) VALUES ('region', $1)", [
      region,
    ]);
  } else if (current !== region) {
    throw new InstallError(
      `this database belongs to region '${current}', not '${region}'; point the config at '${region}''s database`,
      { step: "region" },
    );
  }
}

/**
 * Seeds the membership from the config: regions it lists are added (their zone kept up to date).
 * Regions the database knows beyond it stay: `georep region add` added them to a running
 * deployment, and removed ones keep their row (membership.ts). The config's regions are checked
 * against live members by the replicator, which warns about a stale config.
 */
async function syncRegions(step: Step, config: InstallConfig): Promise<void> {
  for (const r of config.regions) {
    await step(
      "regions",
      `INSERT INTO georep.regions (id, zone) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET zone = excluded.zone WHERE georep.regions.zone IS DISTINCT FROM excluded.zone`,
      [r.id, r.zone ?? null],
    );
  }
}

/**
 * The replica local writes count under: the newest incarnation's. A database without one gets
 * incarnation 1 (the bare region id) with the identity it has now.
 */
async function localReplica(step: Step, region: string): Promise<LocalReplica> {
  await step("incarnation", ...recordFirstIncarnationSql(region));
  const rows = await step(
    "incarnation",
    "SELECT replica, stamp_floor::text AS floor FROM georep.incarnations ORDER BY incarnation DESC LIMIT 1",
  );
  const row = rows[0];
  if (row === undefined) throw new InstallError("no incarnation recorded", { step: "incarnation" });
  return { replica: String(row["replica"]), stampFloor: BigInt(String(row["floor"])) };
}

async function installTable(
  step: Step,
  layout: StateLayout,
  local: LocalReplica,
): Promise<boolean> {
  const name = `${layout.spec.schema}.${layout.spec.name}`;
  const hash = specHash(layout.spec, local);
  const rows = await step(
    `table ${name}`,
    "SELECT spec_hash FROM georep.installed WHERE table_name = $1",
    [name],
  );
  if (rows[0]?.["spec_hash"] === hash) return false;
  await step(`table ${name}: user table`, `${userTableSql(layout)}\n${userTableWidenSql(layout)}`);
  const fresh =
    (
      await step(`table ${name}: state table`, "SELECT to_regclass($1) IS NULL AS fresh", [
        layout.stateTable,
      ])
    )[0]?.["fresh"] === true;
  await step(`table ${name}: state table`, stateTableSql(layout));
  await step(
    `table ${name}: view`,
    `DROP VIEW IF EXISTS ${layout.visibleView};\n${visibleViewSql(layout)}`,
  );
  await step(
    `table ${name}: capture`,
    `${captureTriggerSql(layout, local)}\n${captureTriggersSql(layout)}`,
  );
  await step(
    `table ${name}: user-row functions`,
    `${ROW_WRITER_ROLE_SQL}\n${userRowFunctionsSql(layout)}`,
  );
  await step(`table ${name}: grants`, tableGrantsSql(layout));
  if (fresh) await step(`table ${name}: backfill`, backfillSql(layout, local.replica));
  // After the backfill, which writes this replica's rows as the admin; the guard refuses them to merges.
  await step(`table ${name}: own-origin guard`, ownOriginGuardSql(layout, local));
  await step(`table ${name}: collection`, collectFunctionSql(layout));
  await step(
    `table ${name}: record`,
    `INSERT INTO georep.installed (table_name, spec_hash, spec) VALUES ($1, $2, $3)
    ON CONFLICT (table_name) DO UPDATE SET spec_hash = excluded.spec_hash, spec = excluded.spec, installed_at = clock_timestamp()`,
    [name, hash, JSON.stringify(layout.spec)],
  );
  return true;
}

async function syncPublication(
  step: Step,
  layouts: readonly StateLayout[],
  local: { readonly region: string; readonly replica: string },
  tablesChanged: boolean,
): Promise<boolean> {
  const exists =
    (await step("publication", "SELECT 1 FROM pg_publication WHERE pubname = $1", [PUBLICATION]))
      .length > 0;
  if (exists && !tablesChanged) return false;
  await step("publication", publicationSql(layouts, local, exists));
  return true;
}

/** The incarnation switch compiles every table's capture: recreated whenever a table changed. */
async function syncIncarnationSwitch(
  step: Step,
  layouts: readonly StateLayout[],
  region: string,
  tablesChanged: boolean,
): Promise<void> {
  const rows = await step("incarnation switch", "SELECT to_regprocedure($1) IS NULL AS missing", [
    `${SWITCH_INCARNATION_FN}(text, bigint, text, bigint)`,
  ]);
  if (!tablesChanged && rows[0]?.["missing"] !== true) return;
  await step("incarnation switch", switchIncarnationSql(layouts, region));
}
