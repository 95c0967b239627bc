import { afterAll, beforeAll, expect, it } from "vitest";
import { ownStateSlices } from "@georep/reader/testing";
import { stateLayout } from "@georep/schema";
import type { RegionDb } from "../merge/helpers.ts";
import { itemsSpec, setupRegionDb, testRegions } from "../merge/helpers.ts";

// The own-state emit after a lost or new slot (the reader's own read, in keyset pages): every
// state row of the region's replica, once, whatever the key's type. With the pages ordered by
// the selected text instead of the key, ids 1..25 in pages of 4 shipped 1, 10, 11, 12, then
// only ids above 12: 2..9 were never emitted.
const spec = itemsSpec("own_state");
let db: RegionDb;

beforeAll(async () => {
  const [region] = testRegions(1) as [string];
  db = await setupRegionDb("us-east", "own_state", region, [region], [spec]);
});
afterAll(async () => {
  await db.close();
});

it("emits every own state row once, in pages, for a non-text key", async () => {
  await db.client.query(
    `INSERT INTO ${spec.name} (id, hits, label, home) SELECT g, g, 'x', 'h' FROM generate_series(1, 25) g`,
  );
  const slices = await ownStateSlices(db.client, stateLayout(spec), db.region, 4);
  const ids = slices.map((s) => Number(s.key["id"]));
  expect(ids).toEqual(Array.from({ length: 25 }, (_v, i) => i + 1));
});
