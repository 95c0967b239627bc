import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countingResultsSpec, installSchema, InstallError } from "@georep/schema";
import { createTestDatabase } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { cameraConfig } from "./fixtures.ts";

/** A fingerprint of everything the installer could have touched: a no-op run leaves it equal. */
async function catalogFingerprint(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ f: string }>(`
    SELECT string_agg(x, ',' ORDER BY x) AS f FROM (
      SELECT 'c' || c.oid || ':' || c.xmin::text || ':' || c.relfilenode AS x FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('georep', 'public')
      UNION ALL SELECT 'p' || p.oid || ':' || p.xmin::text FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'georep'
      UNION ALL SELECT 't' || oid || ':' || xmin::text FROM pg_trigger WHERE NOT tgisinternal
      UNION ALL SELECT 'pub' || oid || ':' || xmin::text FROM pg_publication
      UNION ALL SELECT 'pr' || oid || ':' || xmin::text FROM pg_publication_rel
      UNION ALL SELECT 'i' || table_name || ':' || xmin::text FROM georep.installed
    ) s`);
  return rows[0]?.f ?? "";
}

describe("schema installer", () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase("us-east", "installer");
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it("installs once, then a second run changes nothing", async () => {
    const first = await installSchema(client, cameraConfig());
    expect(first.changed).toBe(true);
    expect(first.tablesInstalled).toEqual(["public.counting_results"]);
    const before = await catalogFingerprint(client);
    const second = await installSchema(client, cameraConfig());
    expect(second).toEqual({
      migrationsApplied: [],
      tablesInstalled: [],
      publicationChanged: false,
      changed: false,
    });
    expect(await catalogFingerprint(client)).toBe(before);
  });

  it("creates the publication with this region's row filter and least-privilege roles", async () => {
    const pub = await client.query<{ tablename: string; rowfilter: string }>(
      "SELECT tablename, rowfilter FROM pg_publication_tables WHERE pubname = 'georep_out' ORDER BY 1",
    );
    expect(pub.rows).toEqual([
      { tablename: "heartbeat", rowfilter: "(region = 'us-east'::text)" },
      { tablename: "state__public__counting_results", rowfilter: "(origin = 'us-east'::text)" },
    ]);
    const roles = await client.query<{
      rolname: string;
      rolreplication: boolean;
      rolsuper: boolean;
    }>(
      "SELECT rolname, rolreplication, rolsuper FROM pg_roles WHERE rolname LIKE 'georep_%' ORDER BY 1",
    );
    expect(roles.rows).toEqual([
      { rolname: "georep_merger", rolreplication: false, rolsuper: false },
      // Peers' repair reads with it: no REPLICATION.
      { rolname: "georep_peer", rolreplication: false, rolsuper: false },
      { rolname: "georep_reader", rolreplication: true, rolsuper: false },
      // NOLOGIN: owns the user-row functions (user-row-functions.ts).
      { rolname: "georep_rowwriter", rolreplication: false, rolsuper: false },
    ]);
    const readerWrites = await client.query<{ ok: boolean }>(
      "SELECT has_table_privilege('georep_reader', 'public.counting_results', 'UPDATE') AS ok",
    );
    expect(readerWrites.rows[0]?.ok).toBe(false);
  });

  it("migrates a changed spec: a new column reaches the user table, the state and the trigger", async () => {
    const widened = {
      ...countingResultsSpec,
      columns: [
        ...countingResultsSpec.columns,
        { name: "bikes_in", type: "bigint", crdt: "gcounter" },
      ],
    };
    await client.query(
      "INSERT INTO counting_results (camera_id, bucket, people_in) VALUES ('cam', '2026-01-01', 4)",
    );
    const report = await installSchema(client, cameraConfig("us-east", [widened]));
    expect(report.tablesInstalled).toEqual(["public.counting_results"]);
    await client.query(
      "UPDATE counting_results SET bikes_in = bikes_in + 2, people_in = people_in + 1",
    );
    const { rows } = await client.query<{ people_in: string; bikes_in: string }>(
      "SELECT people_in::text, bikes_in::text FROM georep.visible__public__counting_results",
    );
    expect(rows).toEqual([{ people_in: "5", bikes_in: "2" }]);
  });

  it("turns rows that existed before the install into this region's own state", async () => {
    const other = await createTestDatabase("us-east", "backfill");
    const c = new pg.Client({ connectionString: other.url });
    await c.connect();
    try {
      await c.query(`CREATE TABLE counting_results (camera_id text, bucket timestamptz, people_in bigint NOT NULL DEFAULT 0,
        people_out bigint NOT NULL DEFAULT 0, vehicle_in bigint NOT NULL DEFAULT 0, vehicle_out bigint NOT NULL DEFAULT 0,
        model_version text, status text, home_region text, PRIMARY KEY (camera_id, bucket))`);
      await c.query(
        "INSERT INTO counting_results (camera_id, bucket, people_in, status) VALUES ('old', '2026-01-01', 41, 'legacy')",
      );
      await installSchema(c, cameraConfig());
      const { rows } = await c.query(
        "SELECT origin, people_in__p::int AS p, status__v, ins__t IS NOT NULL AS inserted FROM georep.state__public__counting_results",
      );
      expect(rows).toEqual([{ origin: "us-east", p: 41, status__v: "legacy", inserted: true }]);
      await c.query("UPDATE counting_results SET people_in = people_in + 1");
      const visible = await c.query(
        "SELECT people_in::int FROM georep.visible__public__counting_results",
      );
      expect(visible.rows).toEqual([{ people_in: 42 }]);
    } finally {
      await c.end();
      await other.drop();
    }
  });

  it("refuses to install another region's config into this region's database", async () => {
    await expect(installSchema(client, cameraConfig("eu-west"))).rejects.toThrow(InstallError);
    await expect(installSchema(client, cameraConfig("eu-west"))).rejects.toThrow(
      /belongs to region 'us-east'/,
    );
  });
});
