import pg from "pg";
import { countingResultsSpec, installSchema, parseInstallConfig } from "@georep/schema";
import type { InstallConfig } from "@georep/schema";
import { createTestDatabase } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";

export const REGIONS = [{ id: "us-east" }, { id: "eu-west", zone: "eu" }, { id: "ap-south" }];

export function cameraConfig(
  region = "us-east",
  tables: unknown[] = [countingResultsSpec],
): InstallConfig {
  return parseInstallConfig({ region, regions: REGIONS, tables });
}

export interface InstalledDb {
  readonly db: TestDatabase;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

/** A fresh database on the region's cluster with georep installed for `counting_results`. */
export async function installedDatabase(prefix: string, region = "us-east"): Promise<InstalledDb> {
  const db = await createTestDatabase(region, prefix);
  const pool = new pg.Pool({ connectionString: db.url, max: 6 });
  const client = await pool.connect();
  try {
    await installSchema(client, cameraConfig(region));
  } finally {
    client.release();
  }
  return {
    db,
    pool,
    close: async () => {
      await pool.end();
      await db.drop();
    },
  };
}

export interface CounterRow {
  key: string;
  people_in: string;
  people_out: string;
  status: string | null;
}

/** User rows and the rows the state resolves to must be the same set with the same values. */
export async function userAndVisible(
  pool: pg.Pool,
): Promise<{ user: CounterRow[]; visible: CounterRow[] }> {
  const cols =
    "camera_id || '@' || to_char(bucket AT TIME ZONE 'UTC', 'HH24') AS key, people_in::text, people_out::text, status";
  const user = await pool.query<CounterRow>(`SELECT ${cols} FROM counting_results ORDER BY 1`);
  const visible = await pool.query<CounterRow>(
    `SELECT ${cols} FROM georep.visible__public__counting_results WHERE alive__ ORDER BY 1`,
  );
  return { user: user.rows, visible: visible.rows };
}

export async function ownComponents(pool: pg.Pool, region: string): Promise<Map<string, bigint>> {
  const { rows } = await pool.query<{ key: string; p: string }>(
    `SELECT camera_id || '@' || to_char(bucket AT TIME ZONE 'UTC', 'HH24') AS key, people_in__p::text AS p
     FROM georep.state__public__counting_results WHERE origin = $1`,
    [region],
  );
  return new Map(rows.map((r) => [r.key, BigInt(r.p)]));
}
