// `georep region add|rebuild|remove` refuse bad input before changing anything (issue 10). The happy
// paths run against live replicators in test/lifecycle/region-lifecycle.chaos.test.ts.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKafka, createTestDatabase, findRepoRoot, georep } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { closeCliRegions, cliRegions } from "./cli-regions.ts";
import type { CliRegion } from "./cli-regions.ts";

const execFileAsync = promisify(execFile);

describe("georep region: bad input changes nothing", () => {
  let regions: CliRegion[] = [];
  let fresh: TestDatabase;
  let freshConfig: string;

  beforeAll(async () => {
    regions = await cliRegions("region", ["us-east", "eu-west"]);
    fresh = await createTestDatabase("ap-south", "region");
    freshConfig = apSouthConfig(regions, fresh, "ap-south.json");
  });
  afterAll(async () => {
    await closeCliRegions(regions);
    await fresh.drop();
  });

  const removed = async (region: CliRegion, id: string): Promise<unknown> =>
    (
      await region.client.query<{ removed: boolean }>(
        "SELECT removed_at IS NOT NULL AS removed FROM georep.regions WHERE id = $1",
        [id],
      )
    ).rows[0]?.removed;

  it("refuses to remove the last peer", async () => {
    const run = await georep(
      "region",
      "remove",
      "--region",
      "eu-west",
      "--config",
      ...regions.map((r) => r.config),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/would leave us-east without a peer/);
    for (const r of regions) expect(await removed(r, "eu-west")).toBe(false);
  });

  it("refuses a snapshot from a peer whose schema version differs", async () => {
    const peer = regions[0] as CliRegion;
    const { rows } = await peer.client.query<{ v: number }>(
      "DELETE FROM georep.migrations WHERE version = (SELECT max(version) FROM georep.migrations) RETURNING version AS v",
    );
    try {
      const run = await georep(
        "region",
        "add",
        "--region",
        "ap-south",
        "--from",
        "us-east",
        "--config",
        freshConfig,
        ...regions.map((r) => r.config),
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /peer 'us-east' has engine schema migrations \[.*\], this georep installs/,
      );
      // Nothing changed: the new database has no georep schema, no peer lists the region.
      const client = new pg.Client({ connectionString: fresh.url });
      await client.connect();
      const schema = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = 'georep'");
      await client.end();
      expect(schema.rowCount).toBe(0);
      for (const r of regions) expect(await removed(r, "ap-south")).toBeUndefined();
    } finally {
      await peer.client.query(
        "INSERT INTO georep.migrations (version, description) VALUES ($1, 'restored by the test')",
        [rows[0]?.v],
      );
    }
  });

  it("resumes an add interrupted while registering the region, into an empty database", async () => {
    // As an add that failed between its peers: us-east made ap-south a member (releasing its
    // hold), eu-west still holds collection for it. Before, a rerun was refused ("already
    // exists") and the operator was left with a half-registered region.
    const [east, west] = regions as [CliRegion, CliRegion];
    await east.client.query("INSERT INTO georep.regions (id) VALUES ('ap-south')");
    // us-east, the snapshot's source, also knows a region removed for good and its final beat.
    await east.client.query(
      "INSERT INTO georep.regions (id, removed_at) VALUES ('gone', now() - interval '1 day')",
    );
    await east.client.query(
      `INSERT INTO georep.peer_progress (topic, partition, origin, stable, applied)
       VALUES ('georep.gone', 0, 'gone', 117726112007192576, '{"us-east": "5"}')`,
    );
    await west.client.query(
      "INSERT INTO georep.collection_holds (region, reason) VALUES ('ap-south', 'georep region add')",
    );
    const add = () =>
      georep(
        "region",
        "add",
        "--region",
        "ap-south",
        "--config",
        freshConfig,
        ...regions.map((r) => r.config),
      );
    const run = await add();
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/interrupted while registering it: resumed/);
    for (const r of regions) {
      expect(await removed(r, "ap-south"), `${r.region}: a member`).toBe(false);
      const holds = await r.client.query("SELECT 1 FROM georep.collection_holds");
      expect(holds.rowCount, `${r.region}: no hold left`).toBe(0);
    }
    // The new region knows what its source knew of the removed region: removed, and its final
    // beat (its tombstones get a barrier there too). Before, it knew neither.
    const client = new pg.Client({ connectionString: fresh.url });
    await client.connect();
    try {
      const gone = await client.query<{ removed: boolean; stable: string }>(
        `SELECT r.removed_at IS NOT NULL AS removed, p.stable::text AS stable
         FROM georep.regions r JOIN georep.peer_progress p ON p.origin = r.id WHERE r.id = 'gone'`,
      );
      expect(gone.rows).toEqual([{ removed: true, stable: "117726112007192576" }]);
    } finally {
      await client.end();
    }
    // Now it exists everywhere: another add is refused.
    const again = await add();
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });

  it("refuses an id that exists, and a rebuild into a database that holds data, changing nothing", async () => {
    // Runs after the resumed add: ap-south is a member everywhere and its database is filled.
    const urls = [...regions.map((r) => r.db.url), fresh.url];
    const client = new pg.Client({ connectionString: fresh.url });
    await client.connect();
    try {
      await client.query(
        "INSERT INTO counting_results (camera_id, bucket) VALUES ('cam-1', '2026-01-01 10:00+00')",
      );
    } finally {
      await client.end();
    }
    const before = await Promise.all(urls.map(fingerprint));
    const cli = (verb: string) =>
      georep(
        "region",
        verb,
        "--region",
        "ap-south",
        "--config",
        freshConfig,
        ...regions.map((r) => r.config),
      );
    const added = await cli("add");
    expect(added.code).toBe(2);
    expect(added.stderr).toMatch(/region 'ap-south' already exists \(live in 'us-east''s/);
    const rebuilt = await cli("rebuild");
    expect(rebuilt.code).toBe(2);
    expect(rebuilt.stderr).toMatch(/its database already holds data/);
    const after = await Promise.all(urls.map(fingerprint));
    expect(after).toEqual(before);
    expect(Object.keys(after[0] ?? {})).toContain("georep.regions");
  });
});

describe("georep region rebuild on a terminal", () => {
  let regions: CliRegion[] = [];
  let lost: TestDatabase;
  let lostConfig: string;

  beforeAll(async () => {
    regions = await cliRegions("rebuild", ["us-east", "eu-west", "ap-south"]);
    lost = await createTestDatabase("ap-south", "rebuilt");
    lostConfig = apSouthConfig(regions, lost, "ap-south-rebuilt.json");
  });
  afterAll(async () => {
    await closeCliRegions(regions);
    await lost.drop();
  });

  it("shows its progress per source and table while it copies", async () => {
    const [east, west] = regions as [CliRegion, CliRegion];
    for (const r of [east, west]) {
      await r.client.query(
        "INSERT INTO georep.regions (id) VALUES ('ap-south') ON CONFLICT DO NOTHING",
      );
      await r.client.query(
        `INSERT INTO counting_results (camera_id, bucket)
         SELECT 'cam-' || i, '2026-01-01 10:00+00' FROM generate_series(1, 40) i`,
      );
    }
    const args = [
      "--import",
      "tsx",
      "apps/cli/src/main.ts",
      "region",
      "rebuild",
      "--region",
      "ap-south",
      "--from",
      "us-east",
      "--config",
      lostConfig,
      east.config,
      west.config,
    ];
    // `script` gives the command a terminal, where the bar is drawn (never into a pipe).
    const { stdout } = await execFileAsync(
      "script",
      ["-qec", [process.execPath, ...args].map(shellQuote).join(" "), "/dev/null"],
      { cwd: findRepoRoot(), timeout: 120_000 },
    );
    expect(stdout).toMatch(/ap-south ← us-east public\.counting_results \[[^\]]*\] \d+\/40 rows/);
    expect(stdout).toMatch(/ap-south rebuilt from us-east in [\d.]+ s: 40 state rows copied/);
  });
});

/** One word for sh -c, whatever it holds. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A config file for ap-south on `db`, next to the peers' configs, naming every region. */
function apSouthConfig(peers: readonly CliRegion[], db: TestDatabase, file: string): string {
  const path = join(dirname(peers[0]?.config ?? ""), file);
  const ids = new Set([...peers.map((p) => p.region), "ap-south"]);
  writeFileSync(
    path,
    JSON.stringify({
      region: "ap-south",
      regions: [...ids].map((id) => ({ id })),
      postgres: { url: db.url },
      kafka: devKafka(),
      tables: ["counting_results"],
    }),
  );
  return path;
}

/**
 * Every row of every table in the georep and public schemas, hashed per table (but the audit
 * trail, which records a refused command too: docs/operate.md, "Audit trail"), and the
 * database's replication slots and publications.
 */
async function fingerprint(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables
       WHERE schemaname IN ('georep', 'public') AND (schemaname, tablename) <> ('georep', 'audit')
       ORDER BY 1`,
    );
    const out: Record<string, string> = {};
    for (const { name } of tables) {
      const { rows } = await client.query<{ h: string }>(
        `SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h
         FROM ${name} t`,
      );
      out[name] = rows[0]?.h ?? "";
    }
    const slots = await client.query<{ s: string }>(
      `SELECT coalesce(string_agg(slot_name || ':' || plugin, ',' ORDER BY slot_name), '') AS s
       FROM pg_replication_slots WHERE database = current_database()`,
    );
    out["slots"] = slots.rows[0]?.s ?? "";
    const publications = await client.query<{ s: string }>(
      `SELECT coalesce(string_agg(x, ',' ORDER BY x), '') AS s FROM (
         SELECT p.pubname || ':' || coalesce(r.prrelid::regclass::text, '') AS x
         FROM pg_publication p LEFT JOIN pg_publication_rel r ON r.prpubid = p.oid) t`,
    );
    out["publications"] = publications.rows[0]?.s ?? "";
    return out;
  } finally {
    await client.end();
  }
}
