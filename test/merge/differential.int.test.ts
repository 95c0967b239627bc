import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RowSlice, RowsEnvelope } from "@georep/contract";
import {
  equalRow,
  mergeRow,
  mergeStateRow,
  regionOfReplica,
  replicaId,
  topStamp,
  viewRow,
} from "@georep/crdt";
import type { RowState, RowView, StateRow } from "@georep/crdt";
import {
  G_COLUMNS,
  HOME_COLUMN,
  PN_COLUMNS,
  REGISTER_COLUMNS,
  databasePropertyParameters,
  propertyConfig,
  rowArbOver,
  rowOfStateRows,
  show,
  shownRowOfStateRows,
  stateRowsOfRow,
  withTextRegisters,
} from "@georep/crdt/testing";
import type { StateColumns } from "@georep/crdt/testing";
import { createMergeTransaction } from "@georep/merger";
import { readStateSlices, stateRowOfSlice } from "@georep/merger/testing";
import { silentLogger } from "@georep/observability";
import { installSchema, parseInstallConfig, parseTableSpec, stateLayout } from "@georep/schema";
import type { TableSpec } from "@georep/schema";
import { createTestDatabase } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";

// Differential test of the merge: random reachable row states (the core's law-harness
// arbitraries) are split into the state rows regions ship, delivered in random order with
// duplicates and in random batches through the real merger (its TypeScript pre-merge and the SQL
// merge function), and the result must equal the core's own merge of those rows: the state rows,
// the visible view and the user table. Shuffled, duplicated and regrouped delivery ending equal to
// the core's fold is the SQL side of the laws (commutativity, associativity, idempotence).
//
// The database collates with ICU en-US and punctuation ignorable (`ka-shifted`, what glibc's
// en_US does): there `useast1` sorts before `us-east-2`, by code point after. Both are valid
// region ids, so a tie between equal stamps must break by code point, as the core compares,
// whatever the database's collation. The writers include a second incarnation too.
const REPLICAS = ["us-east-2", "useast1", replicaId("us-east-2", 3), "eu-west", "ap-south"];
const COLLATION = "en-US-u-ka-shifted";
const KEYS = ["k1", "k2", "k3"];
const cols: StateColumns = {
  gcounters: G_COLUMNS,
  pncounters: PN_COLUMNS,
  registers: REGISTER_COLUMNS,
  component: (column, half) => `${column}__${half}`,
};
const policy = { homeColumn: HOME_COLUMN, registerPolicy: "home-wins" } as const;
// Components below 2^58: the view sums up to five of them (and a PN difference) in a bigint.
const rowsArb = fc.array(rowArbOver({ replicas: REPLICAS, maxComponent: 2n ** 58n }), {
  minLength: 1,
  maxLength: 4,
});

let db: TestDatabase;
let client: pg.Client;
const table = spec("diff");

beforeAll(async () => {
  db = await createTestDatabase("us-east", "merge_diff", { icuLocale: COLLATION });
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await installSchema(
    client,
    parseInstallConfig({ region: "sa-east", regions: [{ id: "sa-east" }], tables: [table] }),
  );
});

/** Empties the table and its state between runs (as the merger: TRUNCATE is refused on purpose). */
async function reset(): Promise<void> {
  const layout = stateLayout(table);
  await client.query("ROLLBACK"); // a failed run may have left its transaction open
  await client.query("BEGIN");
  await client.query("SET LOCAL georep.applying = 'on'");
  await client.query(`DELETE FROM ${layout.userTable}; DELETE FROM ${layout.stateTable}`);
  await client.query("COMMIT");
}
afterAll(async () => {
  await client.end();
  await db.drop();
});

function spec(name: string): TableSpec {
  return parseTableSpec({
    schema: "public",
    name,
    key: [{ name: "id", type: "text" }],
    columns: [
      ...G_COLUMNS.map((c) => ({ name: c, type: "bigint", crdt: "gcounter" })),
      ...PN_COLUMNS.map((c) => ({ name: c, type: "bigint", crdt: "pncounter" })),
      ...REGISTER_COLUMNS.map((c) => ({ name: c, type: "text", crdt: "lww" })),
    ],
    home: { kind: "column", column: HOME_COLUMN },
    policy: "home-wins",
  });
}

function slice(table: string, key: string, r: StateRow): RowSlice {
  const components = [
    ...G_COLUMNS.map((c) => `${c}__p`),
    ...PN_COLUMNS.flatMap((c) => [`${c}__p`, `${c}__n`]),
  ];
  return {
    table,
    key: { id: key },
    zone: r.zone,
    counters: Object.fromEntries(components.map((c) => [c, (r.counters.get(c) ?? 0n).toString()])),
    registers: Object.fromEntries(
      [...r.registers].map(([c, e]) => [c, { v: e.v, t: e.t.toString() }]),
    ),
    ins: r.ins?.toString() ?? null,
    del: r.del?.toString() ?? null,
    delBase: (r.delBase ?? null) as RowSlice["delBase"],
    born: r.born.toString(),
  };
}

function envelope(replica: string, rows: RowSlice[]): RowsEnvelope {
  const origin = regionOfReplica(replica);
  return {
    v: 1,
    kind: "rows",
    origin,
    ...(replica === origin ? {} : { replica }),
    lsn: "0/1",
    commitTime: 0,
    rows,
  };
}

/**
 * A zone per piece, a function of (replica, newest stamp) like every other payload of a write;
 * `eu1` and `eu-2` sort differently under the test's collation than by code point.
 */
function withZone(r: StateRow): StateRow {
  const zones = ["eu-2", "eu1", "ap", null];
  const h = Number((topStamp(r) + BigInt(r.replica.length)) % 4n);
  return { ...r, zone: zones[h] ?? null };
}

/** The core's state-row merge of one replica's pieces, in delivery order. */
function foldPieces(pieces: readonly StateRow[]): StateRow | undefined {
  const [first, ...rest] = pieces;
  if (first === undefined) return undefined;
  const into = { ...first, counters: new Map(first.counters), registers: new Map(first.registers) };
  for (const p of rest) mergeStateRow(into, p);
  return into;
}

function foldZone(pieces: readonly StateRow[]): string | null {
  return foldPieces(pieces)?.zone ?? null;
}

/** The state rows of every key, read back as the merger reads slices (one replica at a time). */
async function readState(s: TableSpec): Promise<Map<string, StateRow[]>> {
  const layout = stateLayout(s);
  const out = new Map<string, StateRow[]>();
  for (const replica of REPLICAS)
    for (const slice of await readStateSlices(client, s, replica)) {
      const row = stateRowOfSlice(slice, replica, layout);
      const key = row.key[0] ?? "";
      out.set(key, [...(out.get(key) ?? []), row]);
    }
  return out;
}

/** What a reader sees, from a row of the visible view or the user table (missing: absent). */
function seen(row: Record<string, string | null> | undefined, alive = true): RowView {
  if (row === undefined || !alive) return { present: false };
  return {
    present: true,
    home: null,
    counters: Object.fromEntries(
      [...G_COLUMNS, ...PN_COLUMNS].map((c) => [c, BigInt(row[c] ?? "0")]),
    ),
    registers: Object.fromEntries(REGISTER_COLUMNS.map((c) => [c, row[c] ?? null])),
  };
}

/** The core's view, in the same terms (every column present; a register never written reads NULL). */
function expectedView(row: RowState): RowView {
  const v = viewRow(row, policy);
  if (!v.present) return v;
  return {
    present: true,
    home: null,
    counters: Object.fromEntries(
      [...G_COLUMNS, ...PN_COLUMNS].map((c) => [c, v.counters[c] ?? 0n]),
    ),
    registers: Object.fromEntries(REGISTER_COLUMNS.map((c) => [c, v.registers[c] ?? null])),
  };
}

/**
 * Delivers every key's pieces through the real merger: shuffled, with re-deliveries (`order`),
 * in batches of the given sizes.
 */
async function deliverShuffled(
  name: string,
  states: readonly (readonly StateRow[])[],
  order: readonly number[],
  batchSizes: readonly number[],
): Promise<void> {
  const pieces = states.flatMap((rows, k) =>
    rows.map((r) => envelope(r.replica, [slice(name, KEYS[k] ?? "", r)])),
  );
  const delivered = [...pieces];
  for (const n of order)
    delivered.splice(n % (delivered.length + 1), 0, pieces[n % pieces.length] as RowsEnvelope);
  const mergeTransaction = createMergeTransaction({ tables: [table], logger: silentLogger() });
  for (let at = 0, b = 0; at < delivered.length; b++) {
    const size = batchSizes[b % batchSizes.length] ?? 1;
    await mergeTransaction.run(client, { envelopes: delivered.slice(at, at + size), progress: [] });
    at += size;
  }
}

it("the SQL merge and view give what the core's merge gives, for random states (real PostgreSQL)", async () => {
  const settings = propertyConfig(process.env, 60);
  const { seed } = settings;
  console.log(
    `merge differential: seed ${seed}, ${settings.numRuns} runs (replay with GEOREP_SEED=${seed})`,
  );
  await fc.assert(
    fc.asyncProperty(
      fc.tuple(...KEYS.map(() => rowsArb)),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }),
      async (perKey, order, batchSizes) => {
        await reset();
        const s = table;
        const name = `${s.schema}.${s.name}`;
        const text = perKey.map((rows) => rows.map(withTextRegisters));
        const states = text.map((rows) =>
          rows.flatMap((row) => stateRowsOfRow(row, cols).map(withZone)),
        );
        await deliverShuffled(name, states, order, batchSizes);

        const layout = stateLayout(s);
        const state = await readState(s);
        const view = await client.query<Record<string, string | null> & { alive__: boolean }>(
          `SELECT * FROM ${layout.visibleView}`,
        );
        const user = await client.query<Record<string, string | null>>(`SELECT * FROM ${name}`);
        for (const [k, rows] of text.entries()) {
          const key = KEYS[k] ?? "";
          const expected = rows.reduce((a, b) => mergeRow(a, b));
          const merged = rowOfStateRows(state.get(key) ?? [], cols);
          if (!equalRow(merged, expected))
            throw new Error(`${key}: SQL state ${show(merged)}\n  core merge ${show(expected)}`);
          // The zone is routing metadata outside RowState: the SQL rule must agree with the core's
          // state-row merge (the merger's pre-merge) over the same pieces.
          for (const r of state.get(key) ?? []) {
            const want = foldZone((states[k] ?? []).filter((p) => p.replica === r.replica));
            expect(r.zone, `${key}/${r.replica}: zone`).toBe(want);
          }
          const v = view.rows.find((r) => r["id"] === key);
          expect(seen(v, v?.alive__ === true), `${key}: visible view`).toEqual(
            expectedView(expected),
          );
          expect(seen(user.rows.find((r) => r["id"] === key)), `${key}: user table`).toEqual(
            expectedView(expected),
          );
        }
      },
    ),
    databasePropertyParameters(settings),
  );
});

/** A birth per piece, comparable to its stamps, so that later lifetimes kill and replace. */
function withBirth(r: StateRow, choice: number): StateRow {
  const top = topStamp(r);
  const births = [0n, r.ins ?? 0n, top < 0n ? 0n : top, top + 1n];
  return { ...r, born: births[choice % births.length] ?? 0n };
}

it("with lifetimes, the SQL merge and view give what the core's state-row merge and lifetime rule give", async () => {
  const settings = propertyConfig(process.env, 40);
  const { seed } = settings;
  console.log(
    `merge differential with lifetimes: seed ${seed}, ${settings.numRuns} runs (replay with GEOREP_SEED=${seed})`,
  );
  await fc.assert(
    fc.asyncProperty(
      fc.tuple(...KEYS.map(() => rowsArb)),
      fc.array(fc.nat(3), { minLength: 1, maxLength: 16 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }),
      async (perKey, births, order, batchSizes) => {
        await reset();
        const name = `${table.schema}.${table.name}`;
        let b = 0;
        const states = perKey.map((rows) =>
          rows.flatMap((row) =>
            stateRowsOfRow(withTextRegisters(row), cols).map((r) =>
              withBirth(withZone(r), births[b++ % births.length] ?? 0),
            ),
          ),
        );
        await deliverShuffled(name, states, order, batchSizes);
        const layout = stateLayout(table);
        const state = await readState(table);
        const view = await client.query<Record<string, string | null> & { alive__: boolean }>(
          `SELECT * FROM ${layout.visibleView}`,
        );
        const user = await client.query<Record<string, string | null>>(`SELECT * FROM ${name}`);
        for (const [k, pieces] of states.entries()) {
          const key = KEYS[k] ?? "";
          const expected = REPLICAS.map((replica) =>
            foldPieces(pieces.filter((p) => p.replica === replica)),
          ).filter((r): r is StateRow => r !== undefined);
          const got = state.get(key) ?? [];
          for (const want of expected) {
            const r = got.find((g) => g.replica === want.replica);
            expect(r?.born, `${key}/${want.replica}: born`).toBe(want.born);
            if (
              r === undefined ||
              !equalRow(rowOfStateRows([r], cols), rowOfStateRows([want], cols))
            )
              throw new Error(
                `${key}/${want.replica}: SQL share ${r && show(rowOfStateRows([r], cols))}\n  core ${show(rowOfStateRows([want], cols))}`,
              );
          }
          const shown = expectedView(shownRowOfStateRows(expected, cols));
          const v = view.rows.find((r) => r["id"] === key);
          expect(seen(v, v?.alive__ === true), `${key}: visible view`).toEqual(shown);
          expect(seen(user.rows.find((r) => r["id"] === key)), `${key}: user table`).toEqual(shown);
        }
      },
    ),
    databasePropertyParameters(settings),
  );
});
