import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createMergeTransaction } from "@georep/merger";
import { readStateSlices } from "@georep/merger/testing";
import { silentLogger } from "@georep/observability";
import {
  installSchema,
  parseInstallConfig,
  parseTableSpec,
  stateLayout,
  userTableSql,
} from "@georep/schema";
import type { TableSpecInput } from "@georep/schema";
import type { RegionDb } from "./helpers.ts";
import { rows, setupRegionDb, testRegions } from "./helpers.ts";

// Register values travel as text (`value::text` in the capture trigger, `text::type` in the
// merge): the text must not depend on the writing or the merging session's settings. Writers
// here use the settings a service may well have (a European DateStyle, India's time zone, fewer
// float digits, escaped bytea); every region must end with the same, correct, typed values.
const CLUSTERS = ["us-east", "eu-west", "ap-south"];
const regionIds = testRegions(3);
const spec = parseTableSpec({
  schema: "public",
  name: "moments",
  key: [{ name: "id", type: "bigint" }],
  columns: [
    { name: "day", type: "date", crdt: "lww" },
    { name: "at", type: "timestamptz", crdt: "lww" },
    { name: "local_at", type: "timestamp", crdt: "lww" },
    { name: "ratio", type: "double precision", crdt: "lww" },
    { name: "blob", type: "bytea", crdt: "lww" },
    { name: "home", type: "text", crdt: "lww" },
  ],
  home: { kind: "column", column: "home" },
} satisfies TableSpecInput);

/** Session settings of each region's writer. */
const WRITER_SETTINGS = [
  ["SET DateStyle = 'SQL, DMY'"],
  [
    "SET TimeZone = 'Asia/Kolkata'",
    "SET IntervalStyle = 'sql_standard'",
    "SET extra_float_digits = 0",
    "SET bytea_output = 'escape'",
  ],
  // SQL style with a zone abbreviation: India's IST reads back as Israel's IST elsewhere.
  ["SET DateStyle = 'SQL, DMY'", "SET TimeZone = 'Asia/Kolkata'"],
];

const dbs: RegionDb[] = [];
const writers: pg.Client[] = [];

beforeAll(async () => {
  for (const [i, id] of regionIds.entries()) {
    const db = await setupRegionDb(CLUSTERS[i] ?? "us-east", "merge_settings", id, regionIds, [
      spec,
    ]);
    dbs.push(db);
    const writer = new pg.Client({ connectionString: db.db.url });
    await writer.connect();
    for (const sql of WRITER_SETTINGS[i] ?? []) await writer.query(sql);
    writers.push(writer);
  }
  // The merging sessions differ too: the merge must not read with the session's settings.
  await dbs[1]?.client.query("SET DateStyle = 'SQL, MDY'");
  await dbs[2]?.client.query("SET TimeZone = 'America/Los_Angeles'; SET extra_float_digits = -3");
});
afterAll(async () => {
  for (const w of writers) await w.end();
  for (const d of dbs) await d.close();
});

/** Every region's own state to every other region, through the real merge. */
async function exchange(): Promise<void> {
  const merge = createMergeTransaction({ tables: [spec], logger: silentLogger() });
  for (const from of dbs) {
    const slices = await readStateSlices(from.client, spec, from.region);
    for (const to of dbs.filter((d) => d !== from))
      await merge.run(to.client, { envelopes: [rows(from.region, slices) as never], progress: [] });
  }
}

/** The rows in forms no session setting changes: ISO by to_char, epoch, float and bytea bytes. */
async function typedRows(client: pg.ClientBase): Promise<unknown[]> {
  const { rows: out } = await client.query<Record<string, unknown>>(
    `SELECT id::int, to_char(day, 'YYYY-MM-DD') AS day, extract(epoch FROM at)::text AS at,
            to_char(local_at, 'YYYY-MM-DD HH24:MI:SS') AS local_at,
            encode(float8send(ratio), 'hex') AS ratio, encode(blob, 'hex') AS blob, home
     FROM moments ORDER BY id`,
  );
  return out;
}

const insert = (i: number, id: number, day: string, at: string, ratio: string): Promise<unknown> =>
  (writers[i] as pg.Client).query(
    `INSERT INTO moments (id, day, at, local_at, ratio, blob, home)
     VALUES ($1, date '${day}', timestamptz '${at}', timestamp '${day} 09:15:00',
             ${ratio}, '\\x01ff5c'::bytea, $2)`,
    [id, regionIds[i]],
  );

it("register values are the same typed values in every region, whatever the sessions' settings", async () => {
  await insert(0, 1, "2026-02-01", "2026-02-01 10:00:00+00", "0.1::float8 + 0.2::float8");
  await insert(1, 2, "2026-03-04", "2026-03-04 23:45:00+00", "1::float8 / 3");
  await insert(2, 3, "2026-05-06", "2026-05-06 01:02:03+00", "2::float8 / 3");
  await exchange();
  // An update (the trigger's update path) and a re-insert over a tombstone (the trigger rewrites
  // the user row from the view) by writers with the same odd settings.
  await writers[2]?.query(
    "UPDATE moments SET day = date '2026-02-11', at = timestamptz '2026-02-11 12:00:00+00' WHERE id = 1",
  );
  await writers[1]?.query("DELETE FROM moments WHERE id = 2");
  await exchange();
  await insert(1, 2, "2026-07-08", "2026-07-08 04:05:06+00", "0.7::float8 * 3");
  await exchange();

  const hex = async (sql: string): Promise<string> =>
    (
      await (dbs[0] as RegionDb).client.query<{ h: string }>(
        `SELECT encode(float8send(${sql}), 'hex') AS h`,
      )
    ).rows[0]?.h ?? "";
  const expected = [
    {
      id: 1,
      day: "2026-02-11",
      at: "1770811200.000000",
      local_at: "2026-02-01 09:15:00",
      ratio: await hex("0.1::float8 + 0.2::float8"),
      blob: "01ff5c",
      home: regionIds[0],
    },
    {
      id: 2,
      day: "2026-07-08",
      at: "1783483506.000000",
      local_at: "2026-07-08 09:15:00",
      ratio: await hex("0.7::float8 * 3"),
      blob: "01ff5c",
      home: regionIds[1],
    },
    {
      id: 3,
      day: "2026-05-06",
      at: "1778029323.000000",
      local_at: "2026-05-06 09:15:00",
      ratio: await hex("2::float8 / 3"),
      blob: "01ff5c",
      home: regionIds[2],
    },
  ];
  for (const d of dbs) expect(await typedRows(d.client), d.region).toEqual(expected);

  // And the state holds the canonical text (ISO, UTC, shortest exact float, hex bytea).
  const { rows: state } = await (dbs[0] as RegionDb).client.query(
    `SELECT origin, day__v AS day, at__v AS at, ratio__v AS ratio, blob__v AS blob
     FROM georep.state__public__moments WHERE id = 3 AND origin = $1`,
    [regionIds[2]],
  );
  expect(state).toEqual([
    {
      origin: regionIds[2],
      day: "2026-05-06",
      at: "2026-05-06 01:02:03+00",
      ratio: "0.6666666666666666",
      blob: "\\x01ff5c",
    },
  ]);
});

it("rows that exist before the table is installed become state in canonical text too", async () => {
  const pre = parseTableSpec({ ...spec, name: "moments_pre" });
  const writer = writers[2] as pg.Client; // SQL, DMY in India's time zone
  await writer.query(userTableSql(stateLayout(pre)));
  await writer.query(
    `INSERT INTO moments_pre (id, day, at, local_at, ratio, blob, home)
     VALUES (1, date '2026-02-01', timestamptz '2026-02-01 10:00:00+00', timestamp '2026-02-01 09:15:00',
             0.1::float8 + 0.2::float8, '\\x01ff5c'::bytea, $1)`,
    [regionIds[2]],
  );
  await installSchema(
    writer,
    parseInstallConfig({
      region: regionIds[2] ?? "",
      regions: regionIds.map((id) => ({ id })),
      tables: [spec, pre],
    }),
  );
  const { rows: state } = await writer.query(
    `SELECT day__v AS day, at__v AS at, local_at__v AS local_at, ratio__v AS ratio, blob__v AS blob
     FROM georep.state__public__moments_pre`,
  );
  expect(state).toEqual([
    {
      day: "2026-02-01",
      at: "2026-02-01 10:00:00+00",
      local_at: "2026-02-01 09:15:00",
      ratio: "0.30000000000000004",
      blob: "\\x01ff5c",
    },
  ]);
});
