import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createMergeTransaction } from "@georep/merger";
import { readStateSlices } from "@georep/merger/testing";
import { silentLogger } from "@georep/observability";
import { stateDigests } from "@georep/repair";
import { installSchema, parseInstallConfig, parseTableSpec, stateLayout } from "@georep/schema";
import type { TableSpecInput } from "@georep/schema";
import { createTestDatabase, uniqueName } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { verifyRegions } from "@georep/verify";

// `georep verify` and repair's digests compare text of rows (ROW(...)::text): two regions holding
// the same values must digest the same even when one database's sessions default to another
// time zone, date style, float digits and bytea format.
const spec = parseTableSpec({
  schema: "public",
  name: "readings",
  key: [
    { name: "sensor", type: "text" },
    { name: "at", type: "timestamptz" },
  ],
  columns: [
    { name: "day", type: "date", crdt: "lww" },
    { name: "seen", type: "timestamptz", crdt: "lww" },
    { name: "value", type: "double precision", crdt: "lww" },
    { name: "raw", type: "bytea", crdt: "lww" },
    { name: "home", type: "text", crdt: "lww" },
  ],
  home: { kind: "column", column: "home" },
} satisfies TableSpecInput);
const layout = stateLayout(spec);
const tag = uniqueName("v").replaceAll("_", "").slice(-8);
const ids = [`vs-${tag}-a`, `vs-${tag}-b`];
const ODD_SETTINGS = [
  "TimeZone = 'Asia/Kolkata'",
  "DateStyle = 'SQL, DMY'",
  "extra_float_digits = 0",
  "bytea_output = 'escape'",
];

const dbs: TestDatabase[] = [];
const pools: pg.Pool[] = [];

beforeAll(async () => {
  for (const [i, cluster] of ["us-east", "eu-west"].entries()) {
    const db = await createTestDatabase(cluster, "verify_settings");
    dbs.push(db);
    if (i === 1) {
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      for (const s of ODD_SETTINGS) await admin.query(`ALTER DATABASE ${db.name} SET ${s}`);
      await admin.end();
    }
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pools.push(pool);
    const client = await pool.connect();
    await installSchema(
      client,
      parseInstallConfig({ region: ids[i], regions: ids.map((id) => ({ id })), tables: [spec] }),
    );
    client.release();
  }
});
afterAll(async () => {
  for (const p of pools) await p.end();
  for (const d of dbs) await d.drop();
});

it("verify and repair digests agree for a database in another time zone and date style", async () => {
  const [a, b] = pools as [pg.Pool, pg.Pool];
  const setting = await b.query<{ tz: string }>("SELECT current_setting('TimeZone') AS tz");
  expect(setting.rows[0]?.tz).toBe("Asia/Kolkata");
  for (let k = 0; k < 30; k++)
    await a.query(
      `INSERT INTO readings (sensor, at, day, seen, value, raw, home)
       SELECT $1, timestamptz '2026-02-01 10:00:00+00' + n * interval '7 hours',
              date '2026-02-01' + n, timestamptz '2026-03-01 23:30:00+00' - n * interval '1 day',
              n::float8 / 7, decode(lpad(to_hex(n), 2, '0') || 'ff5c', 'hex'), $3
       FROM (SELECT $2::int AS n) x`,
      [`s-${k % 4}`, k, ids[0]],
    );
  // b receives a's state through the real merge, so both hold the same state and rows.
  const client = await a.connect();
  const slices = await readStateSlices(client, spec, ids[0] ?? "");
  client.release();
  const target = await b.connect();
  await createMergeTransaction({ tables: [spec], logger: silentLogger() }).run(target, {
    envelopes: [
      { v: 1, kind: "rows", origin: ids[0] ?? "", lsn: "0/1", commitTime: 0, rows: slices },
    ],
    progress: [],
  });
  target.release();

  const report = await verifyRegions(
    ids.map((region, i) => ({ region, pool: pools[i] as pg.Pool })),
    [layout],
  );
  expect(report.differences).toEqual([]);
  expect(report.identical).toBe(true);
  expect(report.tables[0]?.rows).toEqual({ [ids[0] ?? ""]: 30, [ids[1] ?? ""]: 30 });

  const scope = { zone: undefined, excludeReplica: "none", buckets: 8 };
  const [da, db] = await Promise.all(pools.map((p) => stateDigests(p, layout, scope)));
  expect(db).toEqual(da);
  expect([...(da?.values() ?? [])].reduce((n, d) => n + d.rows, 0)).toBe(30);
});
