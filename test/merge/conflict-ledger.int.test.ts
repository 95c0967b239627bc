import { afterAll, beforeAll, expect, it } from "vitest";
import type { RowSlice, RowsEnvelope } from "@georep/contract";
import { createMergeTransaction } from "@georep/merger";
import { silentLogger } from "@georep/observability";
import type { RegionDb } from "./helpers.ts";
import { itemSlice, itemsSpec, setupRegionDb, testRegions } from "./helpers.ts";

// The conflict ledger (georep.conflicts) through the real merge function: a register write that
// meets another region's different value is recorded once, with winner and loser, whether that
// value was held before (merged or written here) or came in the same batch; a region's own
// successive writes and a batch delivered again record nothing. The merge reads the held winner
// only for keys holding another origin's share; every case but the second fails when that
// filter drops such a key.
const [a, b, local] = testRegions(3) as [string, string, string];
const table = "citems";
const spec = itemsSpec(table);
let db: RegionDb;
const merge = createMergeTransaction({ tables: [spec], logger: silentLogger() });

beforeAll(async () => {
  db = await setupRegionDb("eu-west", "merge_conflicts", local, [a, b, local], [spec]);
});
afterAll(async () => {
  await db.close();
});

const T = 1n << 16n;
const label = (id: number, value: string, stamp: bigint): RowSlice => {
  const s = itemSlice(table, id, 1n, stamp);
  return { ...s, registers: { label: { v: value, t: stamp.toString() } } };
};
const mergeFrom = async (...batch: Array<[string, RowSlice]>): Promise<void> => {
  await merge.run(db.client, {
    envelopes: batch.map(([origin, slice]): RowsEnvelope => ({
      v: 1,
      kind: "rows",
      origin,
      lsn: "0/1",
      commitTime: Date.now(),
      rows: [slice],
    })),
    progress: [],
  });
};

interface Recorded {
  readonly winner: string;
  readonly loser: string;
}
const recorded = async (id: number): Promise<Recorded[]> =>
  (
    await db.client.query<Recorded>(
      `SELECT winner_region || ':' || winner_value AS winner, loser_region || ':' || loser_value AS loser
       FROM georep.conflicts WHERE table_name = $1 AND row_key = jsonb_build_object('id', $2::bigint)
       ORDER BY id`,
      [`public.${table}`, id],
    )
  ).rows;

it("a write that meets another region's merged value is recorded, winning or losing", async () => {
  await mergeFrom([a, label(1, "x", 10n * T)]);
  expect(await recorded(1)).toEqual([]);
  await mergeFrom([b, label(1, "y", 20n * T)]);
  expect(await recorded(1)).toEqual([{ winner: `${b}:y`, loser: `${a}:x` }]);
  await mergeFrom([a, label(1, "z", 15n * T)]);
  expect(await recorded(1)).toEqual([
    { winner: `${b}:y`, loser: `${a}:x` },
    { winner: `${b}:y`, loser: `${a}:z` },
  ]);
});

it("two regions' writes to one key in the same batch are recorded", async () => {
  await mergeFrom([a, label(2, "p", 10n * T)], [b, label(2, "q", 20n * T)]);
  expect(await recorded(2)).toEqual([{ winner: `${b}:q`, loser: `${a}:p` }]);
});

it("a merged write that meets this region's own write is recorded", async () => {
  await db.client.query(`INSERT INTO public.${table} (id, label) VALUES (3, 'mine')`);
  // A stamp far ahead of this region's clock, so the merged write wins (the merger's clock-skew
  // check runs before the merge transaction, which this test calls directly).
  const ahead = BigInt(Date.now() + 3_600_000) * T;
  await mergeFrom([a, label(3, "theirs", ahead)]);
  expect(await recorded(3)).toEqual([{ winner: `${a}:theirs`, loser: `${local}:mine` }]);
});

it("a region's own successive writes, and a batch delivered again, record nothing", async () => {
  await mergeFrom([a, label(4, "s1", 10n * T)]);
  await mergeFrom([a, label(4, "s2", 20n * T)]);
  await mergeFrom([a, label(4, "s2", 20n * T)]);
  expect(await recorded(4)).toEqual([]);
  await mergeFrom([b, label(5, "u", 10n * T)]);
  await mergeFrom([a, label(5, "w", 20n * T)]);
  const once = [{ winner: `${a}:w`, loser: `${b}:u` }];
  expect(await recorded(5)).toEqual(once);
  await mergeFrom([a, label(5, "w", 20n * T)]);
  expect(await recorded(5)).toEqual(once);
});
