import fc from "fast-check";
import { installSchema, parseInstallConfig } from "@georep/schema";
import type { TableSpec } from "@georep/schema";
import type { RegionDb } from "./helpers.ts";

// Random plain-SQL histories over the `items` table (helpers.ts itemsSpec), shared by the
// property tests that run them through the real merge.
export type Op =
  | { kind: "insert"; key: number; hits: number; label: string | null }
  | { kind: "inc"; key: number; by: number }
  | { kind: "dec"; key: number; by: number }
  | { kind: "set"; key: number; label: string | null }
  | { kind: "upsert"; key: number; by: number; label: string }
  | { kind: "delete"; key: number };

const key = fc.integer({ min: 1, max: 4 });
const label = fc.constantFrom("a", "b", "c", null);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("insert" as const),
    key,
    hits: fc.integer({ min: 0, max: 5 }),
    label,
  }),
  fc.record({ kind: fc.constant("inc" as const), key, by: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant("dec" as const), key, by: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant("set" as const), key, label }),
  fc.record({
    kind: fc.constant("upsert" as const),
    key,
    by: fc.integer({ min: 1, max: 5 }),
    label: fc.constantFrom("x", "y"),
  }),
  fc.record({ kind: fc.constant("delete" as const), key }),
);
export const history = fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), op), {
  minLength: 1,
  maxLength: 25,
});

/** Runs one op with plain SQL; returns the increments it committed to hits (for the ground truth). */
export async function apply(db: RegionDb, t: string, o: Op): Promise<number> {
  const q = (sql: string, params: unknown[]) => db.client.query(sql, params);
  switch (o.kind) {
    case "insert":
      return (
        ((
          await q(
            `INSERT INTO ${t} (id, hits, label, home) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
            [o.key, o.hits, o.label, db.region],
          )
        ).rowCount ?? 0) * o.hits
      );
    case "inc":
      return (
        ((
          await q(`UPDATE ${t} SET hits = hits + $2, balance = balance + $2 WHERE id = $1`, [
            o.key,
            o.by,
          ])
        ).rowCount ?? 0) * o.by
      );
    case "dec":
      await q(`UPDATE ${t} SET balance = balance - $2 WHERE id = $1`, [o.key, o.by]);
      return 0;
    case "set":
      await q(`UPDATE ${t} SET label = $2 WHERE id = $1`, [o.key, o.label]);
      return 0;
    case "upsert":
      await q(
        `INSERT INTO ${t} (id, hits, label, home) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET hits = ${t}.hits + $2, label = excluded.label`,
        [o.key, o.by, o.label, db.region],
      );
      return o.by;
    case "delete":
      await q(`DELETE FROM ${t} WHERE id = $1`, [o.key]);
      return 0;
  }
}

/** What a history committed: increments per key (the ground truth) and the keys it deleted. */
export interface HistoryWriter {
  readonly increments: Map<number, number>;
  readonly deleted: Set<number>;
  /** Runs `ops` (each on the region of its index) with plain SQL, in order. */
  readonly write: (ops: ReadonlyArray<[number, Op]>) => Promise<void>;
}

/** Installs `spec` in every region (each knowing all of `regions`), and a writer for its histories. */
export async function historyTable(
  dbs: readonly RegionDb[],
  regions: readonly string[],
  spec: TableSpec,
  options: { readonly distinctMilliseconds?: boolean } = {},
): Promise<HistoryWriter> {
  for (const d of dbs)
    await installSchema(
      d.client,
      parseInstallConfig({
        region: d.region,
        regions: regions.map((id) => ({ id })),
        tables: [spec],
      }),
    );
  const increments = new Map<number, number>();
  const deleted = new Set<number>();
  // With distinctMilliseconds, each op in a millisecond of its own. A stamp is the wall clock in
  // milliseconds (or just above the key's state): two regions writing one key within a
  // millisecond tie, and the tie goes to the greater region id. A history written twice (the
  // collection test's two copies) would resolve differently wherever its two runs split writes
  // over milliseconds differently. Other properties keep the ties: they happen under real load.
  let last = 0;
  const nextMillisecond = async (): Promise<void> => {
    while (options.distinctMilliseconds === true && Date.now() <= last)
      await new Promise((r) => setTimeout(r, 1));
  };
  return {
    increments,
    deleted,
    write: async (ops) => {
      for (const [r, o] of ops) {
        const db = dbs[r];
        if (db === undefined) continue;
        if (o.kind === "delete") deleted.add(o.key);
        await nextMillisecond();
        increments.set(o.key, (increments.get(o.key) ?? 0) + (await apply(db, spec.name, o)));
        last = Date.now();
      }
    },
  };
}
