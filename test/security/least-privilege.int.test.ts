// The replicator run with postgres.roles: capture (and the lease) as georep_reader, merges as
// georep_merger, the admin login used only to install. Three regions replicate exactly; then what
// each role cannot do is tried and refused.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMetrics, systemClock } from "@georep/observability";
import {
  createReplicator,
  parseReplicatorConfig,
  pgClientConfig,
  setRolePasswords,
} from "@georep/replicator";
import type { Replicator, ReplicatorConfig } from "@georep/replicator";
import { currentIncarnation, installSchema, startIncarnation } from "@georep/schema";
import { createTestDatabase, devKafka, readEndpoints, uniqueName, waitFor } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";

interface Region {
  readonly config: ReplicatorConfig;
  readonly db: TestDatabase;
  readonly admin: pg.Pool;
  replicator: Replicator;
}

// The stack's clusters trust local logins; the secure stack checks these passwords.
const env = {
  GEOREP_TEST_CAPTURE_PW: "capture-pw",
  GEOREP_TEST_MERGE_PW: "merge-pw",
  GEOREP_TEST_PEER_PW: "peer-pw",
};
const regions: Region[] = [];

const asRole = (r: Region, job: "capture" | "merge"): pg.Client =>
  new pg.Client(pgClientConfig(r.config.postgres, job));

async function refused(client: pg.Client, sql: string): Promise<string | undefined> {
  try {
    await client.query(sql);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

async function total(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ s: string }>(
    "SELECT coalesce(sum(people_in), 0)::text AS s FROM counting_results",
  );
  return rows[0]?.s ?? "";
}

/** A state row of cam-forged under `origin`, as a forger would write it. */
const ownStateRow = (origin: string): string =>
  `INSERT INTO georep."state__public__counting_results" (camera_id, bucket, origin, people_in__p, ins__t)
   VALUES ('cam-forged', '2026-12-02T10:00:00Z', '${origin}', 1000, 1)`;

const replicatorOf = (config: ReplicatorConfig): Replicator =>
  createReplicator({
    config,
    logger: createLogger({ name: config.region, level: process.env["LP_LOG"] ?? "error" }),
    metrics: createMetrics(),
    clock: systemClock,
  });

describe("least privilege: every job connects as its own role", () => {
  beforeAll(async () => {
    const endpoints = readEndpoints();
    const tag = uniqueName("lp").replaceAll("_", "").slice(-8);
    const ids = endpoints.regions.map((r) => `lp-${tag}-${r.id}`.slice(0, 31));
    for (const [i, cluster] of endpoints.regions.entries()) {
      const db = await createTestDatabase(cluster.id, "least_privilege");
      const config = parseReplicatorConfig(
        {
          region: ids[i],
          regions: ids.map((id) => ({ id })),
          postgres: {
            url: db.url,
            roles: {
              capture: { password: { env: "GEOREP_TEST_CAPTURE_PW" } },
              merge: { password: { env: "GEOREP_TEST_MERGE_PW" } },
              peer: { password: { env: "GEOREP_TEST_PEER_PW" } },
            },
          },
          kafka: devKafka(endpoints.kafka.brokers),
          tables: ["counting_results"],
        },
        env,
      );
      expect(config.installSchema).toBe(false);
      // What `georep schema apply` does, with the admin login.
      const install = new pg.Client(pgClientConfig(config.postgres, "admin"));
      await install.connect();
      await installSchema(install, config.schema);
      await setRolePasswords(install, config.postgres);
      await install.end();
      regions.push({
        config,
        db,
        admin: new pg.Pool({ connectionString: db.url, max: 2 }),
        replicator: replicatorOf(config),
      });
    }
    // One at a time, as test/e2e/regions.ts does: topic metadata settles between starts.
    for (const r of regions) await r.replicator.start();
  }, 120_000);

  afterAll(async () => {
    for (const r of regions) await r.replicator.stop();
    for (const r of regions) {
      await r.admin.end();
      await r.db.drop();
    }
  });

  it("replicates exact counts with no job connected as the admin", async () => {
    for (const [i, r] of regions.entries())
      await r.admin.query(
        "INSERT INTO counting_results (camera_id, bucket, people_in, home_region) VALUES ($1, '2026-12-02T10:00:00Z', $2, $3)",
        [`cam-${i}`, 10 * (i + 1), r.config.region],
      );
    await waitFor(
      async () => {
        const totals = await Promise.all(regions.map((r) => total(r.admin)));
        return totals.every((t) => t === "60") ? totals : undefined;
      },
      { timeoutMs: 60_000, description: "every region counts 60" },
    );
    // Every georep session of a region runs as one of the two roles, none as the admin.
    const first = regions[0];
    if (first === undefined) throw new Error("no region");
    const { rows } = await first.admin.query<{ usename: string }>(
      `SELECT DISTINCT usename FROM pg_stat_activity
       WHERE datname = current_database() AND (application_name LIKE 'georep%' OR backend_type = 'walsender')`,
    );
    expect(rows.map((r) => r.usename).sort()).toEqual(["georep_merger", "georep_reader"]);
  });

  it("refuses DDL, direct writes and other schemas to the capture role", async () => {
    const r = regions[0];
    if (r === undefined) throw new Error("no region");
    await r.admin.query(
      "CREATE SCHEMA IF NOT EXISTS billing; CREATE TABLE IF NOT EXISTS billing.invoices (id int)",
    );
    const c = asRole(r, "capture");
    await c.connect();
    try {
      expect(await refused(c, "CREATE TABLE georep.x (id int)")).toBe("42501");
      expect(await refused(c, "CREATE TABLE public.x (id int)")).toBe("42501");
      expect(await refused(c, "DROP TABLE counting_results")).toBe("42501");
      expect(
        await refused(c, "INSERT INTO counting_results (camera_id, bucket) VALUES ('x', now())"),
      ).toBe("42501");
      expect(await refused(c, "UPDATE georep.progress SET origin = origin")).toBe("42501");
      expect(await refused(c, "SELECT * FROM billing.invoices")).toBe("42501");
    } finally {
      await c.end();
    }
  });

  it("refuses DDL, other schemas and the lease to the merge role", async () => {
    const r = regions[0];
    if (r === undefined) throw new Error("no region");
    const m = asRole(r, "merge");
    await m.connect();
    try {
      expect(await refused(m, "CREATE TABLE georep.x (id int)")).toBe("42501");
      expect(await refused(m, "ALTER TABLE counting_results ADD COLUMN x int")).toBe("42501");
      expect(await refused(m, "SELECT * FROM billing.invoices")).toBe("42501");
      // Only the capture role takes the lease: a merge worker cannot depose the active.
      expect(await refused(m, "UPDATE georep.leader SET epoch = epoch + 1")).toBe("42501");
      expect(await refused(m, "DELETE FROM georep.audit")).not.toBeUndefined();
    } finally {
      await m.end();
    }
  });

  it("lets peers' repair login read the state and what repair needs, and nothing more", async () => {
    const r = regions[0];
    if (r === undefined) throw new Error("no region");
    const url = new URL(r.db.url);
    url.username = "georep_peer";
    const p = new pg.Client({ connectionString: url.toString() });
    await p.connect();
    try {
      // What repair reads (database-check.ts, peer-progress.ts, packages/repair), nothing more.
      for (const table of [
        'georep."state__public__counting_results"',
        "georep.progress",
        "georep.settings",
      ])
        expect(await refused(p, `SELECT * FROM ${table} LIMIT 1`), table).toBeUndefined();
      for (const table of ["georep.incarnations", "georep.installed", "georep.heartbeat"])
        expect(await refused(p, `SELECT * FROM ${table} LIMIT 1`), table).toBe("42501");
      expect(await refused(p, "SELECT * FROM counting_results")).toBe("42501");
      expect(await refused(p, "SELECT * FROM georep.audit")).toBe("42501");
      expect(await refused(p, "SELECT * FROM georep.leader")).toBe("42501");
      expect(await refused(p, "UPDATE georep.progress SET kafka_offset = 0")).toBe("42501");
      expect(await refused(p, ownStateRow(r.config.region))).toBe("42501");
      expect(await refused(p, "CREATE TABLE georep.x (id int)")).toBe("42501");
      // No REPLICATION: it cannot read this region's WAL.
      expect(
        await refused(p, "SELECT pg_create_logical_replication_slot('peer_x', 'pgoutput')"),
      ).toBe("42501");
    } finally {
      await p.end();
    }
  });

  it("lets the merge role write user rows only through the installed user-row functions", async () => {
    const r = regions[0];
    if (r === undefined) throw new Error("no region");
    const m = asRole(r, "merge");
    await m.connect();
    try {
      // Outside the merge functions, with or without the merge marker: refused.
      for (const marker of ["off", "on"]) {
        await m.query(`SELECT set_config('georep.applying', '${marker}', false)`);
        expect(
          await refused(m, "INSERT INTO counting_results (camera_id, bucket) VALUES ('x', now())"),
        ).toBe("42501");
        expect(await refused(m, "UPDATE counting_results SET people_in = 999999")).toBe("42501");
        expect(await refused(m, "DELETE FROM counting_results")).toBe("42501");
        expect(await refused(m, "SELECT 1 FROM counting_results FOR UPDATE")).toBe("42501");
      }
      // State rows under the region's own current replica are shipped to every peer: only the
      // capture trigger writes them, never the merge role.
      expect(await refused(m, ownStateRow(r.config.region))).toBe("42501");
      expect(
        await refused(
          m,
          `UPDATE georep."state__public__counting_results" SET people_in__p = people_in__p + 1 WHERE origin = '${r.config.region}'`,
        ),
      ).toBe("42501");
      // Moving such a row to another origin, or deleting it, would make capture ship a lower
      // running total: refused too (tombstone collection deletes through its own function).
      const state = 'georep."state__public__counting_results"';
      expect(
        await refused(m, `UPDATE ${state} SET origin = 'peer' WHERE origin = '${r.config.region}'`),
      ).toBe("42501");
      expect(await refused(m, `DELETE FROM ${state} WHERE origin = '${r.config.region}'`)).toBe(
        "42501",
      );
      // Through them, whatever the keys: user rows only come to agree with the merged state.
      const before = await total(r.admin);
      const uwrite = (camera: string) =>
        m.query<{ w: number[] }>(
          `SELECT georep."uwrite__public__counting_results"(ARRAY[$1, 'nowhere'], ARRAY['2026-12-02T10:00:00Z', '2026-12-02T10:00:00Z']::timestamptz[]) AS w`,
          [camera],
        );
      expect((await uwrite("cam-0")).rows[0]?.w).toEqual([0, 0, 0]);
      expect(await total(r.admin)).toBe(before);
      // The user's own triggers run inside them as georep_rowwriter, which holds only what the
      // merge role used to hold on user tables, never as the installing admin.
      await r.admin.query(`
        CREATE TABLE IF NOT EXISTS public.trigger_log (who name);
        GRANT INSERT ON public.trigger_log TO PUBLIC;
        CREATE OR REPLACE FUNCTION public.log_writer() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO public.trigger_log VALUES (current_user); RETURN NEW; END $$;
        CREATE TRIGGER log_writer AFTER INSERT ON counting_results FOR EACH ROW
          EXECUTE FUNCTION public.log_writer();`);
      // A user row gone without capture (the admin may mark its session as a merge), then restored.
      await r.admin.query(
        "BEGIN; SET LOCAL georep.applying = 'on'; DELETE FROM counting_results WHERE camera_id = 'cam-0'; COMMIT",
      );
      expect((await uwrite("cam-0")).rows[0]?.w).toEqual([1, 0, 0]);
      expect(await total(r.admin)).toBe(before);
      const { rows: log } = await r.admin.query<{ who: string }>("SELECT who FROM trigger_log");
      expect(log.map((x) => x.who)).toEqual(["georep_rowwriter"]);
      await r.admin.query("DROP TRIGGER log_writer ON counting_results");
    } finally {
      await m.end();
    }
  });

  // Last: it restarts a region. Capture starts a new incarnation after a restore or a failover;
  // as georep_reader it cannot recompile the admin's capture functions and publication itself.
  it("lets the capture role start a new incarnation, and local writes count under it", async () => {
    const r = regions[2];
    if (r === undefined) throw new Error("no region");
    await r.replicator.stop();
    const c = asRole(r, "capture");
    await c.connect();
    let replica: string;
    try {
      const before = await currentIncarnation(c);
      const started = await startIncarnation(
        c,
        { region: r.config.region, tables: r.config.schema.tables },
        "test: restored from a backup",
        Date.now(),
      );
      expect(started.replica).not.toBe(before?.replica);
      replica = started.replica;
      // Nothing but a new incarnation of its own region.
      expect(
        await refused(
          c,
          "SELECT georep.switch_incarnation('elsewhere.1900000000', 1900000000, 'x', 1)",
        ),
      ).toBe("22023");
      // … with an incarnation number and a floor from about now, never far ahead.
      const ahead = `${r.config.region}.9000000000`;
      expect(
        await refused(c, `SELECT georep.switch_incarnation('${ahead}', 9000000000, 'x', 1)`),
      ).toBe("22023");
      const next = `${r.config.region}.${Math.floor(Date.now() / 1000) + 60}`;
      expect(
        await refused(
          c,
          `SELECT georep.switch_incarnation('${next}', ${next.split(".")[1]}, 'x', 9000000000000000000)`,
        ),
      ).toBe("22023");
      // … and never by writing the incarnations table itself.
      expect(
        await refused(
          c,
          `INSERT INTO georep.incarnations (replica, incarnation, reason, system_identifier, timeline, database_oid) VALUES ('elsewhere', 1, 'x', 0, 1, 1)`,
        ),
      ).toBe("42501");
      expect(await refused(c, "UPDATE georep.incarnations SET incarnation = 1")).toBe("42501");
    } finally {
      await c.end();
    }
    // The guard follows the new replica.
    const m = asRole(r, "merge");
    await m.connect();
    try {
      expect(await refused(m, ownStateRow(replica))).toBe("42501");
    } finally {
      await m.end();
    }
    r.replicator = replicatorOf(r.config);
    await r.replicator.start();
    await r.admin.query(
      "INSERT INTO counting_results (camera_id, bucket, people_in, home_region) VALUES ('cam-new', '2026-12-02T10:00:00Z', 5, $1)",
      [r.config.region],
    );
    const { rows } = await r.admin.query<{ origin: string }>(
      `SELECT origin FROM georep."state__public__counting_results" WHERE camera_id = 'cam-new'`,
    );
    expect(rows.map((x) => x.origin)).toEqual([replica]);
    await waitFor(
      async () => {
        const totals = await Promise.all(regions.map((x) => total(x.admin)));
        return totals.every((t) => t === "65") ? totals : undefined;
      },
      { timeoutMs: 60_000, description: "every region counts 65" },
    );
  });
});
