import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Envelope, HeartbeatEnvelope } from "@georep/contract";
import { originTopic } from "@georep/contract";
import { propertyConfig } from "@georep/crdt/testing";
import { createMergeTransaction, sourceTopics } from "@georep/merger";
import {
  createCollectionMetrics,
  createCollector,
  liveRegions,
  readStateSlices,
  recordHeartbeat,
} from "@georep/merger/testing";
import type { Collector } from "@georep/merger/testing";
import { createMetrics, silentLogger } from "@georep/observability";
import { stateLayout } from "@georep/schema";
import type { TableSpec } from "@georep/schema";
import type { RegionDb } from "./helpers.ts";
import { itemsSpec, rows, setupRegionDb, testRegions } from "./helpers.ts";
import { history, historyTable } from "./sql-history.ts";

// Tombstone collection on the real merge and collection SQL (docs/data-model.md, "Tombstones"):
// three regions run a random plain-SQL history on two copies of a table, `gc` (collected) and
// `ctl` (never collected). Every region ships the own state rows that changed, then a heartbeat,
// on a FIFO channel per peer (one partition); deliveries, shipments and collection passes
// interleave at random. At the
// end both copies must agree in every region, no dead key may hold state anywhere, and a key
// inserted again after collection counts from zero.
const CLUSTERS = ["us-east", "eu-west", "ap-south"];
const regionIds = testRegions(3);
const regionRefs = regionIds.map((id) => ({ id }));
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
type Message = { kind: "rows"; envelope: Envelope } | { kind: "beat"; beat: HeartbeatEnvelope };

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
  const { seed, numRuns } = propertyConfig(process.env, 10);
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
        const gcWriter = await historyTable(dbs, regionIds, gc);
        const ctlWriter = await historyTable(dbs, regionIds, ctl);
        for (const p of pools) await p.query("TRUNCATE georep.peer_progress, georep.applied");
        const merge = createMergeTransaction({ tables: [gc, ctl], logger: silentLogger() });
        const collectors = dbs.map((d, i) => collectorFor(d.region, pools[i] as pg.Pool, gc));
        const channels = new Map<string, Message[]>();
        const shipped = dbs.map(() => new Map<string, string>());
        const channel = (from: number, to: number): Message[] => {
          const key = `${from}>${to}`;
          let c = channels.get(key);
          if (c === undefined) channels.set(key, (c = []));
          return c;
        };
        const ship = async (from: number): Promise<void> => {
          const db = dbs[from] as RegionDb;
          // stable is read before the state: every change committed later is stamped above it
          // (one writer at a time here, so the wall clock is that bound).
          const stable = (await one(db, "SELECT georep.wall_stamp()::text AS v")) ?? "0";
          const applied = await db.client.query<{ origin: string; stamp: string }>(
            "SELECT origin, stamp::text AS stamp FROM georep.applied",
          );
          // Like the WAL: only own rows that changed since the last shipment (a tombstone goes out
          // once; a collected row is not shipped at all).
          const sent = shipped[from] as Map<string, string>;
          const slices = [
            ...(await readStateSlices(db.client, gc, db.region)),
            ...(await readStateSlices(db.client, ctl, db.region)),
          ].filter((s) => {
            const id = `${s.table}:${JSON.stringify(s.key)}`;
            const text = JSON.stringify(s);
            if (sent.get(id) === text) return false;
            sent.set(id, text);
            return true;
          });
          const beat: HeartbeatEnvelope = {
            v: 1,
            kind: "heartbeat",
            origin: db.region,
            lsn: "0/1",
            commitTime: Date.now(),
            stamp: stable,
            progress: {
              stable,
              applied: Object.fromEntries(applied.rows.map((r) => [r.origin, r.stamp])),
            },
          };
          for (let to = 0; to < dbs.length; to++) {
            if (to === from) continue;
            const c = channel(from, to);
            for (const s of slices) c.push({ kind: "rows", envelope: rows(db.region, [s]) });
            c.push({ kind: "beat", beat });
          }
        };
        const deliver = async (from: number, to: number, n: number): Promise<void> => {
          const target = dbs[to] as RegionDb;
          for (const m of channel(from, to).splice(0, n)) {
            if (m.kind === "rows")
              await merge.run(target.client, { envelopes: [m.envelope as never], progress: [] });
            else
              await recordHeartbeat(pools[to] as pg.Pool, {
                topic: originTopic(m.beat.origin),
                partition: 0,
                origin: m.beat.origin,
                beat: m.beat,
              });
          }
        };
        const step = async (a: Action): Promise<void> => {
          if (a.kind === "ship") await ship(a.from);
          else if (a.kind === "deliver" && a.from !== a.to) await deliver(a.from, a.to, a.n);
          else if (a.kind === "collect") await (collectors[a.at] as Collector).pass();
        };
        const writeBoth = async (ops: typeof first): Promise<void> => {
          await gcWriter.write(ops);
          await ctlWriter.write(ops);
        };
        const exchangeAll = async (): Promise<void> => {
          for (let f = 0; f < dbs.length; f++) await ship(f);
          for (let f = 0; f < dbs.length; f++)
            for (let t = 0; t < dbs.length; t++) if (f !== t) await deliver(f, t, Infinity);
        };

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
          for (const c of collectors) await c.pass();
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
    // GEOREP_NO_SHRINK=1 reports the first counterexample as found (shrinking one takes minutes).
    { numRuns, seed, endOnFailure: process.env["GEOREP_NO_SHRINK"] === "1" },
  );
}, 600_000);

function collectorFor(region: string, pool: pg.Pool, spec: TableSpec): Collector {
  return createCollector({
    pool,
    self: region,
    live: () => liveRegions(regionRefs),
    sources: sourceTopics(region, regionRefs),
    partitions: 1,
    layouts: new Map([[`public.${spec.name}`, stateLayout(spec)]]),
    metrics: createCollectionMetrics(createMetrics()),
    clock: () => Date.now(),
    log: silentLogger(),
    collect: true,
    batchKeys: 2,
    blockedAfterSeconds: 600,
    lockTimeoutMs: 1000,
  });
}

async function one(d: RegionDb, sql: string): Promise<string | undefined> {
  return (await d.client.query<{ v: string }>(sql)).rows[0]?.v;
}
