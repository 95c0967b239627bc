import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { databasePropertyParameters, propertyConfig } from "@georep/crdt/testing";
import { silentLogger, systemClock } from "@georep/observability";
import { ownStateSlices } from "@georep/reader/testing";
import { repairRegion } from "@georep/repair";
import {
  addMember,
  holdCollection,
  releaseCollection,
  removeMember,
  stateLayout,
} from "@georep/schema";
import type { TableSpec } from "@georep/schema";
import { createExchange, one } from "./gc-exchange.ts";
import type { RegionDb } from "./helpers.ts";
import { itemsSpec, setupRegionDb, testRegions } from "./helpers.ts";
import { history, historyTable } from "./sql-history.ts";
import type { Op } from "./sql-history.ts";

// Tombstone collection on the real merge and collection SQL (docs/data-model.md, "Tombstones"):
// three regions run a random plain-SQL history on two copies of a table, `gc` (collected) and
// `ctl` (never collected). Every region ships the own state rows that changed, then a heartbeat,
// on a FIFO channel per peer (one partition); deliveries, shipments and collection passes
// interleave at random. At the
// end both copies must agree in every region, no dead key may hold state anywhere, and a key
// inserted again after collection counts from zero.
const CLUSTERS = ["us-east", "eu-west", "ap-south"];
const regionIds = testRegions(3);
const dbs: RegionDb[] = [];
const pools: pg.Pool[] = [];
let run = 0;

beforeAll(async () => {
  for (const [i, id] of regionIds.entries()) {
    const db = await setupRegionDb(CLUSTERS[i] ?? "us-east", "merge_gc", id, regionIds, [
      itemsSpec("seed"),
    ]);
    dbs.push(db);
    pools.push(new pg.Pool({ connectionString: db.db.url, max: 2 }));
  }
});
afterAll(async () => {
  for (const p of pools) await p.end();
  for (const d of dbs) await d.close();
});

type Action = typeof action extends fc.Arbitrary<infer T> ? T : never;

const action: fc.Arbitrary<
  | { kind: "ship"; from: number }
  | { kind: "deliver"; from: number; to: number; n: number }
  | { kind: "collect"; at: number }
> = fc.oneof(
  fc.record({ kind: fc.constant("ship" as const), from: fc.nat(2) }),
  fc.record({
    kind: fc.constant("deliver" as const),
    from: fc.nat(2),
    to: fc.nat(2),
    n: fc.nat(6),
  }),
  fc.record({ kind: fc.constant("collect" as const), at: fc.nat(2) }),
);

it("collection never changes what any region shows, and frees every dead key everywhere", async () => {
  const config = propertyConfig(process.env, 10);
  const { seed, numRuns } = config;
  console.log(
    `collection property: seed ${seed}, ${numRuns} runs (replay with GEOREP_SEED=${seed})`,
  );
  await fc.assert(
    fc.asyncProperty(
      history,
      history,
      fc.array(action, { maxLength: 40 }),
      async (first, second, actions) => {
        run += 1;
        const gc = itemsSpec(`gc_${run}`);
        const ctl = itemsSpec(`ctl_${run}`);
        const twice = { distinctMilliseconds: true };
        const gcWriter = await historyTable(dbs, regionIds, gc, twice);
        const ctlWriter = await historyTable(dbs, regionIds, ctl, twice);
        for (const p of pools) await p.query("TRUNCATE georep.peer_progress, georep.applied");
        const x = createExchange(dbs, pools, [gc, ctl], gc);
        const step = async (a: Action): Promise<void> => {
          if (a.kind === "ship") await x.ship(a.from);
          else if (a.kind === "deliver" && a.from !== a.to) await x.deliver(a.from, a.to, a.n);
          else if (a.kind === "collect") await x.collect(a.at);
        };
        const writeBoth = async (ops: typeof first): Promise<void> => {
          await gcWriter.write(ops);
          await ctlWriter.write(ops);
        };
        const exchangeAll = (): Promise<void> => x.exchangeAll();

        await writeBoth(first);
        // Partial, reordered exchange with collections in between; then the rest of the history
        // (deletes, re-inserts, increments concurrent with deletes), then more of the same.
        const half = Math.floor(actions.length / 2);
        for (const a of actions.slice(0, half)) await step(a);
        await writeBoth(second);
        for (const a of actions.slice(half)) await step(a);
        // Quiescence: three rounds carry every delete, every report of it, and the reports of those.
        for (let round = 0; round < 4; round++) {
          await exchangeAll();
          for (let at = 0; at < dbs.length; at++) await x.collect(at);
        }
        await exchangeAll();

        const read = async (d: RegionDb, t: TableSpec) =>
          (
            await d.client.query<{ id: number; hits: number }>(
              `SELECT id::int, hits::int, balance::int, label, home FROM ${t.name} ORDER BY id`,
            )
          ).rows;
        const shown = await Promise.all(dbs.map((d) => read(d, gc)));
        for (const [i, d] of dbs.entries()) {
          expect(shown[i], `${d.region}: collected copy = never-collected copy`).toEqual(
            await read(d, ctl),
          );
          expect(shown[i], `${d.region} = ${dbs[0]?.region}`).toEqual(shown[0]);
          const leftover = await one(
            d,
            `SELECT count(*)::text AS v FROM ${stateLayout(gc).stateTable} s
             WHERE NOT EXISTS (SELECT 1 FROM ${gc.name} u WHERE u.id = s.id)`,
          );
          expect(leftover, `${d.region}: state rows of dead keys`).toBe("0");
        }
        for (const row of shown[0] ?? []) {
          const id = row.id;
          if (!gcWriter.deleted.has(id))
            expect(row.hits, `hits of key ${id}`).toBe(gcWriter.increments.get(id) ?? 0);
        }
        // Every region collected every dead key: a key inserted again counts from zero.
        const dead = [1, 2, 3, 4].filter((id) => !(shown[0] ?? []).some((r) => r.id === id));
        for (const id of dead)
          await (dbs[id % dbs.length] as RegionDb).client.query(
            `INSERT INTO ${gc.name} (id, hits, label, home) VALUES ($1, 7, 'again', 'x')`,
            [id],
          );
        await exchangeAll();
        for (const d of dbs)
          for (const id of dead)
            expect(await one(d, `SELECT hits::text AS v FROM ${gc.name} WHERE id = ${id}`)).toBe(
              "7",
            );
      },
    ),
    // Shrinking a counterexample takes minutes; GEOREP_NO_SHRINK=1 reports the first as found.
    databasePropertyParameters(config, 540_000),
  );
}, 600_000);

it("a key inserted again while regions collect it at different moments counts from zero everywhere", async () => {
  // Region 0 collects keys 1 and 2 while regions 1 and 2 still hold their old state. Then region
  // 0 (collected) inserts key 1 again, and region 1 (not collected, with an old increment of its
  // own on key 2) inserts key 2 again. Without lifetimes, region 1 max-merged region 0's fresh
  // share into the old one and subtracted the old base (key 1 showed 2, not 7), and region 0
  // took region 1's continued share whole (key 2 showed 7, not 4).
  const { gc, ctl, x, write } = await collectedAndControl("race");
  await write([
    [0, { kind: "insert", key: 1, hits: 5, label: "a" }],
    [0, { kind: "insert", key: 2, hits: 5, label: "a" }],
  ]);
  await x.exchangeAll();
  await write([[1, { kind: "inc", key: 2, by: 3 }]]);
  await x.exchangeAll();
  await write([
    [0, { kind: "delete", key: 1 }],
    [0, { kind: "delete", key: 2 }],
  ]);
  // Regions 1 and 2 apply the deletes and report it to region 0 only: region 0 alone passes
  // the barrier.
  await x.collectInRegion0Only();
  const stateRows = async (d: RegionDb): Promise<string | undefined> =>
    one(d, `SELECT count(*)::text AS v FROM ${stateLayout(gc).stateTable}`);
  expect(await stateRows(dbs[0] as RegionDb), "region 0 collected both keys").toBe("0");
  expect(await stateRows(dbs[1] as RegionDb), "region 1 still holds them").not.toBe("0");

  await write([
    [0, { kind: "insert", key: 1, hits: 7, label: "b" }],
    [1, { kind: "insert", key: 2, hits: 4, label: "b" }],
  ]);
  const hits = async (d: RegionDb, t: TableSpec, id: number): Promise<string | undefined> =>
    one(d, `SELECT hits::text AS v FROM ${t.name} WHERE id = ${id}`);
  await x.ship(0);
  await x.ship(1);
  for (let f = 0; f < dbs.length; f++)
    for (let t = 0; t < dbs.length; t++) if (f !== t) await x.deliver(f, t, Infinity);
  for (const d of dbs) {
    expect(await hits(d, gc, 1), `${d.region}: key 1 right after the re-insert`).toBe("7");
    expect(await hits(d, gc, 2), `${d.region}: key 2 right after the re-insert`).toBe("4");
  }
  for (let round = 0; round < 4; round++) {
    await x.exchangeAll();
    for (let at = 0; at < dbs.length; at++) await x.collect(at);
  }
  for (const d of dbs)
    for (const t of [gc, ctl]) {
      expect(await hits(d, t, 1), `${d.region} ${t.name}: key 1`).toBe("7");
      expect(await hits(d, t, 2), `${d.region} ${t.name}: key 2`).toBe("4");
    }
});

it("a later share never erases a delete, and an update made after a re-insert is not lost to the delete arriving later", async () => {
  const { gc, ctl, x, write } = await collectedAndControl("life");
  const read = async (d: RegionDb, t: TableSpec, id: number) =>
    (
      await d.client.query<{ hits: string; label: string | null }>(
        `SELECT hits::text AS hits, label FROM ${t.name} WHERE id = ${id}`,
      )
    ).rows[0];

  // Key 5: region 2 inserts it, region 0 deletes it and alone collects it, then inserts it
  // again. Region 0's new share must not erase its delete where region 2's old share is held.
  await write([[2, { kind: "insert", key: 5, hits: 5, label: "a" }]]);
  await x.exchangeAll();
  await write([[0, { kind: "delete", key: 5 }]]);
  await x.collectInRegion0Only();
  await write([[0, { kind: "insert", key: 5, hits: 7, label: "b" }]]);
  await x.ship(0);
  for (const to of [1, 2]) await x.deliver(0, to, Infinity);
  for (const d of dbs)
    expect(await read(d, gc, 5), `${d.region}: key 5 after region 0 inserted it again`).toEqual({
      hits: "7",
      label: "b",
    });

  // Key 6: region 0 inserts it, region 1 adds 3; region 0 deletes it and only region 2 hears of
  // it, and inserts it again; region 1 gets that insert before the delete, then adds 2 and
  // relabels it. Region 1's update comes after the re-insert: it must survive the delete.
  await write([[0, { kind: "insert", key: 6, hits: 1, label: "a" }]]);
  await x.exchangeAll();
  await write([[1, { kind: "inc", key: 6, by: 3 }]]);
  await x.exchangeAll();
  await write([[0, { kind: "delete", key: 6 }]]);
  await x.ship(0);
  await x.deliver(0, 2, Infinity);
  await write([[2, { kind: "insert", key: 6, hits: 4, label: "b" }]]);
  await x.ship(2);
  await x.deliver(2, 1, Infinity);
  await write([
    [1, { kind: "inc", key: 6, by: 2 }],
    [1, { kind: "set", key: 6, label: "x" }],
  ]);
  for (let round = 0; round < 4; round++) {
    await x.exchangeAll();
    for (let at = 0; at < dbs.length; at++) await x.collect(at);
  }
  for (const d of dbs)
    for (const t of [gc, ctl]) {
      expect(await read(d, t, 5), `${d.region} ${t.name}: key 5`).toEqual({
        hits: "7",
        label: "b",
      });
      expect(await read(d, t, 6), `${d.region} ${t.name}: key 6`).toEqual({
        hits: "6",
        label: "x",
      });
    }
});

it("state shipped again (a lost slot's own-state emit, a repair) never brings back a key a region collected", async () => {
  // Region 1 inserts key 8, region 0 deletes it and alone collects it. Region 1's own share
  // still says "inserted", and it is shipped again twice: by region 1's own-state emit after a
  // lost slot, and by a repair of region 0 from region 2 (which copies every replica's rows but
  // region 0's own, the one that held the delete). Either brought key 8 back, alive, in region 0.
  const { gc, ctl, x, write } = await collectedAndControl("again");
  const layout = stateLayout(gc);
  const [r0, r1, r2] = dbs as [RegionDb, RegionDb, RegionDb];
  await write([[1, { kind: "insert", key: 8, hits: 5, label: "a" }]]);
  await x.exchangeAll();
  await write([[0, { kind: "delete", key: 8 }]]);
  await x.collectInRegion0Only();
  const count = (d: RegionDb, table: string): Promise<string | undefined> =>
    one(d, `SELECT count(*)::text AS v FROM ${table}`);
  expect(await count(r0, layout.stateTable), "region 0 collected key 8").toBe("0");

  await x.mergeInto(0, r1.region, await ownStateSlices(r1.client, layout, r1.region));
  expect(await count(r0, gc.name), "region 0 after region 1's own state came again").toBe("0");

  const repair = () =>
    repairRegion({
      target: { region: r0.region, pool: pools[0] as pg.Pool, zone: undefined, replica: r0.region },
      sources: [{ region: r2.region, pool: pools[2] as pg.Pool }],
      layouts: [layout],
      logger: silentLogger(),
      clock: systemClock,
    });
  await one(r0, `DELETE FROM ${layout.stateTable}`); // as collected again: the repair has work
  const repaired = await repair();
  expect(repaired.stateRowsChanged, "the repair copied key 8's rows").toBeGreaterThan(0);
  expect(await count(r0, gc.name), "region 0 after a repair from region 2").toBe("0");
  const again = await repair();
  expect(
    again.tables.map((t) => t.differingRanges),
    "a repaired region and its source compare equal (rows digested with the key's tombstone)",
  ).toEqual([0]);

  for (let round = 0; round < 4; round++) {
    await x.exchangeAll();
    for (let at = 0; at < dbs.length; at++) await x.collect(at);
  }
  for (const d of dbs) {
    expect(await count(d, layout.stateTable), `${d.region}: key 8 collected`).toBe("0");
    expect(await count(d, gc.name), `${d.region}: rows`).toBe(await count(d, ctl.name));
  }
});

it("a tombstone younger than the grace stays however far the barrier has passed", async () => {
  // The grace gives a region whose database went back in time (an asynchronous standby promoted,
  // a restore) the time to get its own lost deletes back from its peers' repair before they
  // collect them. Without it, region 0 collected key 11 at once.
  const { gc, write, x } = await collectedAndControl("grace");
  const layout = stateLayout(gc);
  const stateRows = (): Promise<string | undefined> =>
    one(dbs[0] as RegionDb, `SELECT count(*)::text AS v FROM ${layout.stateTable}`);
  await write([[1, { kind: "insert", key: 11, hits: 5, label: "a" }]]);
  await x.exchangeAll();
  await write([[0, { kind: "delete", key: 11 }]]);
  try {
    x.setGrace(60_000);
    await x.collectInRegion0Only();
    expect(await stateRows(), "within the grace: region 0 keeps key 11").not.toBe("0");
  } finally {
    x.setGrace(0);
  }
  await x.collectInRegion0Only();
  expect(await stateRows(), "past it, region 0 collects key 11").toBe("0");
});

it("a region being added, or a member the merger has not picked up yet, holds collection until it reports", async () => {
  // `georep region add` holds collection in every peer before it copies the new region a
  // snapshot, and makes it a member afterwards; a running merger learns of a new member only at
  // its next membership check. A delete the snapshot missed must not be collected meanwhile:
  // the new region would write into the old lifetime without it. Without the hold (or with the
  // merger's own list alone), region 0 collected key 9 at once.
  const { gc, write, x } = await collectedAndControl("held");
  const layout = stateLayout(gc);
  const r0 = dbs[0] as RegionDb;
  const joining = `${r0.region}-new`;
  const stateRows = (): Promise<string | undefined> =>
    one(r0, `SELECT count(*)::text AS v FROM ${layout.stateTable}`);
  await write([[1, { kind: "insert", key: 9, hits: 5, label: "a" }]]);
  await x.exchangeAll();
  await write([[0, { kind: "delete", key: 9 }]]);
  const pool = pools[0] as pg.Pool;
  try {
    await holdCollection(pool, joining, "test");
    await x.collectInRegion0Only();
    expect(await stateRows(), "held: region 0 keeps key 9").not.toBe("0");
    await addMember(pool, { id: joining });
    await releaseCollection(pool, joining);
    await x.collectInRegion0Only();
    expect(await stateRows(), "a member not heard from: region 0 keeps key 9").not.toBe("0");
  } finally {
    await releaseCollection(pool, joining);
    await removeMember(pool, joining);
  }
  await x.collectInRegion0Only();
  expect(await stateRows(), "once it is gone, region 0 collects key 9").toBe("0");
});

it("a removed region's tombstones are collected once the remaining regions report its final beats", async () => {
  // Region 2 inserts and deletes key 10, everyone applies it, then region 2 is removed for good.
  // Its last heartbeats stand: the remaining regions keep reporting what they applied of it, and
  // its tombstone gets a barrier. Before, a removed region's tombstones were kept for ever.
  const { gc, write, x } = await collectedAndControl("removed");
  const layout = stateLayout(gc);
  await write([[2, { kind: "insert", key: 10, hits: 5, label: "a" }]]);
  await x.exchangeAll();
  await write([[2, { kind: "delete", key: 10 }]]);
  for (let round = 0; round < 2; round++) {
    await x.exchangeAll();
    for (const at of [0, 1]) await x.collect(at);
  }
  const stateRows = (d: RegionDb): Promise<string | undefined> =>
    one(d, `SELECT count(*)::text AS v FROM ${layout.stateTable} WHERE id = 10`);
  try {
    await x.removeRegion(2);
    for (let round = 0; round < 3; round++) {
      for (const [from, to] of [
        [0, 1],
        [1, 0],
      ] as const) {
        await x.ship(from);
        await x.deliver(from, to, Infinity);
      }
      for (const at of [0, 1]) await x.collect(at);
    }
    for (const d of dbs.slice(0, 2))
      expect(await stateRows(d), `${d.region}: the removed region's deleted key`).toBe("0");
  } finally {
    // The databases are shared by this file's tests: region 2 is a member again.
    for (const p of pools) await p.query("UPDATE georep.regions SET removed_at = NULL");
  }
});

/**
 * A fresh collected table and its never-collected control copy in every region, the exchange
 * between the regions, and a writer of the same ops to both copies.
 */
async function collectedAndControl(name: string) {
  run += 1;
  const gc = itemsSpec(`gc_${name}_${run}`);
  const ctl = itemsSpec(`ctl_${name}_${run}`);
  const twice = { distinctMilliseconds: true };
  const writers = [
    await historyTable(dbs, regionIds, gc, twice),
    await historyTable(dbs, regionIds, ctl, twice),
  ];
  for (const p of pools) await p.query("TRUNCATE georep.peer_progress, georep.applied");
  const x = createExchange(dbs, pools, [gc, ctl], gc);
  const write = async (ops: ReadonlyArray<[number, Op]>): Promise<void> => {
    for (const w of writers) await w.write(ops);
  };
  return { gc, ctl, x, write };
}
