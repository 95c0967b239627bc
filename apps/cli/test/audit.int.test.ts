// The audit trail (issue 13): every command that changes a deployment records who ran it, when,
// with which flags and how it ended, in every region it acts on; the table is append-only and
// `georep audit` lists it. Cheap variants of each command run on near-empty regions.
import { writeFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINE_MIGRATION_VERSIONS } from "@georep/schema";
import { createTestDatabase, devKafka, georep } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { audited } from "../src/audit.ts";
import { closeCliRegions, cliRegions } from "./cli-regions.ts";
import type { CliRegion } from "./cli-regions.ts";

interface Row {
  id: string;
  run: string;
  actor: string;
  command: string;
  arguments: Record<string, unknown>;
  region: string;
  outcome: string;
  detail: string | null;
}

const ACTOR = `${userInfo().username}@${hostname()} as postgres`;

async function rowsOf(db: pg.Client | string, command?: string): Promise<Row[]> {
  const client = typeof db === "string" ? new pg.Client({ connectionString: db }) : db;
  if (typeof db === "string") await client.connect();
  try {
    const { rows } = await client.query<Row>(
      `SELECT a.id::text, run::text, actor, command, arguments, region, outcome, detail
       FROM georep.audit a WHERE $1::text IS NULL OR command = $1 ORDER BY a.id`,
      [command ?? null],
    );
    return rows;
  } finally {
    if (typeof db === "string") await client.end();
  }
}

/** The rows of one run: a 'started' row, then its end. */
function expectRun(rows: Row[], region: string, end: "ok" | "failed"): Row[] {
  expect(rows.map((r) => r.outcome)).toEqual(["started", end]);
  expect(new Set(rows.map((r) => r.run)).size).toBe(1);
  for (const r of rows) expect(r).toMatchObject({ actor: ACTOR, region });
  return rows;
}

describe("audit trail", () => {
  let regions: CliRegion[] = [];
  const us = (): CliRegion => regions[0] as CliRegion;
  const eu = (): CliRegion => regions[1] as CliRegion;
  const fresh: TestDatabase[] = [];
  const rehomeEuToUs = (): string[] => [
    "rehome",
    "--config",
    us().config,
    "--from",
    "eu-west",
    "--to",
    "us-east",
  ];

  /** A config file beside the regions' for a new database on ap-south's cluster. */
  const freshRegion = async (id: string): Promise<{ db: TestDatabase; config: string }> => {
    const db = await createTestDatabase("ap-south", "audit");
    fresh.push(db);
    const config = join(dirname(us().config), `${id}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        region: id,
        regions: [{ id: "us-east" }, { id: "eu-west" }, { id }],
        postgres: { url: db.url },
        kafka: devKafka(),
        tables: ["counting_results"],
      }),
    );
    return { db, config };
  };

  beforeAll(async () => {
    regions = await cliRegions("audit", ["us-east", "eu-west"]);
  });
  afterAll(async () => {
    await closeCliRegions(regions);
    for (const db of fresh) await db.drop();
  });

  it("schema apply on an empty database creates the table and records itself in it", async () => {
    const { db, config } = await freshRegion("ap-south");
    const run = await georep("schema", "apply", "--config", config);
    expect(run.code, run.stderr).toBe(0);
    const rows = expectRun(await rowsOf(db.url), "ap-south", "ok");
    expect(rows[0]).toMatchObject({ command: "schema apply", arguments: { config } });
    expect(rows[1]?.detail).toContain(
      `migrations applied: ${ENGINE_MIGRATION_VERSIONS.join(", ")}; tables installed: public.counting_results`,
    );
  });

  it("dlq replay of an empty quarantine, rehome and repair of identical regions", async () => {
    expect(
      (await georep("dlq", "replay", "--config", us().config, "--reason", "rejected")).code,
    ).toBe(0);
    const dlq = expectRun(await rowsOf(us().client, "dlq replay"), "us-east", "ok");
    expect(dlq[0]?.arguments).toEqual({ config: us().config, reason: "rejected", limit: 1000 });
    expect(dlq[1]?.detail).toBe("0 merged, 0 still set aside");

    const rehome = await georep(...rehomeEuToUs());
    expect(rehome.code, rehome.stderr).toBe(0);
    const moved = expectRun(await rowsOf(us().client, "rehome"), "us-east", "ok");
    expect(moved[0]?.arguments).toEqual({ config: us().config, from: "eu-west", to: "us-east" });
    expect(await rowsOf(eu().client, "rehome")).toEqual([]); // it wrote to us-east only

    const repair = await georep("repair", "--config", us().config, eu().config);
    expect(repair.code, repair.stderr).toBe(0);
    const runs = new Set<string>();
    for (const r of regions) {
      const rows = expectRun(await rowsOf(r.client, "repair"), r.region, "ok");
      expect(rows[0]?.arguments).toEqual({ config: [us().config, eu().config], buckets: 256 });
      expect(rows[1]?.detail).toMatch(/identical$/);
      runs.add(rows[0]?.run ?? "");
    }
    expect(runs.size).toBe(1); // one invocation, one run id in every region
  });

  it("region add and remove record in every region they write to; a refusal records 'failed'", async () => {
    const id = `audit-${Date.now().toString(36)}`;
    const added = await freshRegion(id);
    const add = await georep(
      "region",
      "add",
      "--region",
      id,
      "--config",
      added.config,
      us().config,
      eu().config,
    );
    expect(add.code, add.stderr).toBe(0);
    for (const [client, region] of [
      [us().client, "us-east"],
      [eu().client, "eu-west"],
      [added.db.url, id],
    ] as const) {
      const rows = expectRun(await rowsOf(client, "region add"), region, "ok");
      expect(rows[0]?.arguments).toMatchObject({ region: id });
    }

    const remove = await georep(
      "region",
      "remove",
      "--region",
      id,
      "--config",
      us().config,
      eu().config,
      added.config,
    );
    expect(remove.code, remove.stderr).toBe(0);
    for (const [client, region] of [
      [us().client, "us-east"],
      [eu().client, "eu-west"],
      [added.db.url, id],
    ] as const)
      expectRun(await rowsOf(client, "region remove"), region, "ok");

    // Refused after its 'started' rows: the refusal is recorded too, with the reason.
    const refused = await georep(
      "region",
      "remove",
      "--region",
      "eu-west",
      "--config",
      us().config,
      eu().config,
    );
    expect(refused.code).toBe(2);
    const rows = (await rowsOf(us().client, "region remove")).slice(-2);
    expect(rows.map((r) => r.outcome)).toEqual(["started", "failed"]);
    expect(rows[1]?.detail).toMatch(/would leave us-east without a peer/);
  });

  it("a command whose 'started' row cannot be written changes nothing", async () => {
    await us().client.query(
      `INSERT INTO counting_results (camera_id, bucket, people_in, home_region)
       VALUES ('cam-audit', '2026-12-01 10:00:00+00', 1, 'eu-west')`,
    );
    await us().client.query(
      "ALTER TABLE georep.audit ADD CONSTRAINT audit_broken CHECK (false) NOT VALID",
    );
    try {
      const run = await georep(...rehomeEuToUs());
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(
        /audit row \('started'\) of georep rehome could not be written in region 'us-east'/,
      );
    } finally {
      await us().client.query("ALTER TABLE georep.audit DROP CONSTRAINT audit_broken");
    }
    const { rows } = await us().client.query<{ home_region: string }>(
      "SELECT home_region FROM counting_results WHERE camera_id = 'cam-audit'",
    );
    expect(rows).toEqual([{ home_region: "eu-west" }]);
  });

  it("is append-only: UPDATE, DELETE and TRUNCATE are refused; pruning keeps 30 days and records itself", async () => {
    for (const sql of [
      "UPDATE georep.audit SET detail = 'edited'",
      "DELETE FROM georep.audit",
      "DELETE FROM georep.audit WHERE false",
      "TRUNCATE georep.audit",
    ])
      await expect(us().client.query(sql), sql).rejects.toMatchObject({
        code: "42501",
        message: expect.stringMatching(/georep.audit is append-only/) as unknown,
      });
    // The time and the database role are the database's, whatever an INSERT says.
    await us().client.query(
      `INSERT INTO georep.audit (run, at, actor, command, arguments, region, outcome)
       VALUES (gen_random_uuid(), '2001-01-01', 'someone', 'forged', '{}', 'us-east', 'ok')`,
    );
    const { rows: forged } = await us().client.query<{ recent: boolean; actor: string }>(
      "SELECT at > now() - interval '1 hour' AS recent, actor FROM georep.audit WHERE command = 'forged'",
    );
    expect(forged).toEqual([{ recent: true, actor: "someone as postgres" }]);

    await expect(us().client.query("SELECT georep.prune_audit('1 day')")).rejects.toThrow(
      /keeps at least 30 days/,
    );
    // An old row, written as a superuser can (the stamping trigger off), then pruned.
    await us().client.query("ALTER TABLE georep.audit DISABLE TRIGGER audit_stamp");
    await us().client.query(
      `INSERT INTO georep.audit (run, at, actor, command, arguments, region, outcome)
       VALUES (gen_random_uuid(), now() - interval '400 days', 'old', 'repair', '{}', 'us-east', 'ok')`,
    );
    await us().client.query("ALTER TABLE georep.audit ENABLE TRIGGER audit_stamp");
    const before = (await rowsOf(us().client)).length;
    const { rows: pruned } = await us().client.query<{ n: string }>(
      "SELECT georep.prune_audit('90 days') AS n",
    );
    expect(pruned).toEqual([{ n: "1" }]);
    const after = await rowsOf(us().client);
    expect(after.length).toBe(before); // one gone, the prune's own row added
    expect(after.at(-1)).toMatchObject({ command: "audit prune", arguments: { keep: "90 days" } });
    // Still refused after a prune: the trigger is off only inside the prune's transaction.
    await expect(us().client.query("DELETE FROM georep.audit")).rejects.toThrow(/append-only/);

    // The merge role may record and read, never change or prune.
    await us().client.query("SET ROLE georep_merger");
    try {
      await us().client.query(
        `INSERT INTO georep.audit (run, actor, command, arguments, region, outcome)
         VALUES (gen_random_uuid(), 'op@host', 'repair', '{}', 'us-east', 'started')`,
      );
      await expect(us().client.query("UPDATE georep.audit SET detail = 'x'")).rejects.toMatchObject(
        { code: "42501" },
      );
      await expect(us().client.query("SELECT georep.prune_audit('90 days')")).rejects.toMatchObject(
        { code: "42501" },
      );
    } finally {
      await us().client.query("RESET ROLE");
    }
  });

  it("never records a secret given in a flag or an error message", async () => {
    const secret = "hunter2-audit";
    const flags = {
      config: [`postgres://operator:${secret}@db.us-east:5432/app`],
      password: secret,
      dsn: `host=db user=op password=${secret} dbname=app`,
    };
    await expect(
      audited({ command: "repair", flags, regions: [{ region: "us-east", db: us().client }] }, () =>
        Promise.reject(
          new Error(`could not connect to postgres://operator:${secret}@db.us-east/app`),
        ),
      ),
    ).rejects.toThrow(secret); // the operator sees the error as it was; the trail does not
    const rows = (await rowsOf(us().client, "repair")).slice(-2);
    expect(rows.map((r) => r.outcome)).toEqual(["started", "failed"]);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows[0]?.arguments).toEqual({
      config: ["postgres://operator:[redacted]@db.us-east:5432/app"],
      password: "[redacted]",
      dsn: "host=db user=op password=[redacted] dbname=app",
    });
    expect(rows[1]?.detail).toBe(
      "could not connect to postgres://operator:[redacted]@db.us-east/app",
    );
  });

  it("georep audit lists the trail newest first, filtered by command, time and count", async () => {
    const all = await georep("audit", "--config", us().config, "--json");
    expect(all.code, all.stderr).toBe(0);
    const listed = JSON.parse(all.stdout) as { region: string; entries: Row[] };
    expect(listed.region).toBe("us-east");
    const ids = listed.entries.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(listed.entries.length).toBe((await rowsOf(us().client)).length);

    const region = JSON.parse(
      (await georep("audit", "--config", us().config, "--command", "region", "--json")).stdout,
    ) as { entries: Row[] };
    expect(new Set(region.entries.map((e) => e.command))).toEqual(
      new Set(["region add", "region remove"]),
    );
    const dashed = JSON.parse(
      (await georep("audit", "--config", us().config, "--command", "dlq-replay", "--json")).stdout,
    ) as { entries: Row[] };
    expect(dashed.entries.map((e) => e.outcome)).toEqual(["ok", "started"]);

    const recent = JSON.parse(
      (await georep("audit", "--config", us().config, "--since", "1h", "--limit", "3", "--json"))
        .stdout,
    ) as { entries: Row[] };
    expect(recent.entries.map((e) => e.id)).toEqual(listed.entries.slice(0, 3).map((e) => e.id));
    const future = await georep("audit", "--config", us().config, "--since", "2999-01-01T00:00Z");
    expect(future.stdout).toBe("audit trail of us-east: no entries\n");

    const human = await georep("audit", "--config", us().config, "--command", "rehome");
    expect(human.stdout).toMatch(/^audit trail of us-east, newest first: 2 row\(s\)/);
    expect(human.stdout).toMatch(/^AT +RUN +COMMAND +OUTCOME +ACTOR +FLAGS +DETAIL$/m);
    expect(human.stdout).toContain("--from eu-west --to us-east");

    const bad = await georep("audit", "--config", us().config, "--since", "yesterday");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since must be an ISO time or how long ago/);
  });
});
