import type pg from "pg";
import type { Envelope, HeartbeatEnvelope, RowSlice } from "@georep/contract";
import { originTopic } from "@georep/contract";
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
import { removeMember, stateLayout } from "@georep/schema";
import type { TableSpec } from "@georep/schema";
import type { RegionDb } from "./helpers.ts";
import { rows } from "./helpers.ts";

// Regions that exchange state by hand, for the tombstone collection tests: every region ships
// the own state rows that changed since its last shipment (like the WAL), then a heartbeat with
// its collection progress, on a FIFO channel per peer (one partition); deliveries run the real
// merge, and each region has a real collector over `collected`.

type Message = { kind: "rows"; envelope: Envelope } | { kind: "beat"; beat: HeartbeatEnvelope };

export interface Exchange {
  /** Region `from` ships its changed own state rows and a heartbeat to every peer. */
  ship(from: number): Promise<void>;
  /** Region `to` merges the next `n` messages from `from`. */
  deliver(from: number, to: number, n: number): Promise<void>;
  /** One collection pass in region `at`. */
  collect(at: number): Promise<void>;
  /** Every region ships, then every message is delivered. */
  exchangeAll(): Promise<void>;
  /**
   * After a delete in region 0: everything is delivered, regions 1 and 2 apply it and report
   * that to region 0 only, which alone passes the barrier and collects.
   */
  collectInRegion0Only(): Promise<void>;
  /**
   * Region `i` is removed for good (as `georep region remove` does once every other region has
   * applied all it shipped): the others mark it removed and their collectors no longer list it.
   */
  removeRegion(i: number): Promise<void>;
  /** From now on every region's collector keeps tombstones younger than `ms` (0 at first). */
  setGrace(ms: number): void;
  /** Region `to` merges state shipped again by `origin` (an own-state emit), outside the channels. */
  mergeInto(to: number, origin: string, slices: RowSlice[]): Promise<void>;
}

export function createExchange(
  dbs: readonly RegionDb[],
  pools: readonly pg.Pool[],
  tables: readonly TableSpec[],
  collected: TableSpec,
): Exchange {
  const regionRefs = dbs.map((d) => ({ id: d.region }));
  const removed = new Set<string>();
  const live = () => regionRefs.filter((r) => !removed.has(r.id));
  const merge = createMergeTransaction({ tables, logger: silentLogger() });
  const collectorsWith = (graceMs: number): Collector[] =>
    dbs.map((d, i) => collectorFor(d.region, live, pools[i] as pg.Pool, collected, graceMs));
  let collectors = collectorsWith(0);
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
    const slices = [];
    for (const t of tables) slices.push(...(await readStateSlices(db.client, t, db.region)));
    const changed = slices.filter((s) => {
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
    // One message per key, carrying that key's slices of every table: the collected and the
    // never-collected copy must reach a peer together, or a plain-SQL insert there would find
    // the key in one copy and not the other, and the two histories would differ before any
    // collection ran (seed 1091232762 did exactly that).
    const byKey = new Map<string, RowSlice[]>();
    for (const s of changed) {
      const k = JSON.stringify(s.key);
      byKey.set(k, [...(byKey.get(k) ?? []), s]);
    }
    for (let to = 0; to < dbs.length; to++) {
      if (to === from) continue;
      const c = channel(from, to);
      for (const group of byKey.values())
        c.push({ kind: "rows", envelope: rows(db.region, group) });
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
  const exchangeAll = async (): Promise<void> => {
    for (let f = 0; f < dbs.length; f++) await ship(f);
    for (let f = 0; f < dbs.length; f++)
      for (let t = 0; t < dbs.length; t++) if (f !== t) await deliver(f, t, Infinity);
  };
  const collect = async (at: number): Promise<void> => {
    await (collectors[at] as Collector).pass();
  };
  return {
    ship,
    deliver,
    collect,
    exchangeAll,
    collectInRegion0Only: async () => {
      await exchangeAll();
      await collect(1);
      await collect(2);
      for (const from of [1, 2]) {
        await ship(from);
        await deliver(from, 0, Infinity);
      }
      await collect(0);
    },
    removeRegion: async (i) => {
      const gone = (dbs[i] as RegionDb).region;
      for (const [j, p] of pools.entries()) if (j !== i) await removeMember(p, gone);
      removed.add(gone);
    },
    setGrace: (ms) => {
      collectors = collectorsWith(ms);
    },
    mergeInto: async (to, origin, slices) => {
      const target = dbs[to] as RegionDb;
      await merge.run(target.client, { envelopes: [rows(origin, slices) as never], progress: [] });
    },
  };
}

function collectorFor(
  region: string,
  live: () => ReadonlyArray<{ id: string }>,
  pool: pg.Pool,
  spec: TableSpec,
  graceMs: number,
): Collector {
  return createCollector({
    pool,
    self: region,
    live: () => liveRegions(live()),
    sources: sourceTopics(region, live()),
    partitions: 1,
    layouts: new Map([[`public.${spec.name}`, stateLayout(spec)]]),
    metrics: createCollectionMetrics(createMetrics()),
    clock: () => Date.now(),
    log: silentLogger(),
    collect: true,
    batchKeys: 2,
    graceMs,
    blockedAfterSeconds: 600,
    lockTimeoutMs: 1000,
  });
}

export async function one(d: RegionDb, sql: string): Promise<string | undefined> {
  return (await d.client.query<{ v: string }>(sql)).rows[0]?.v;
}
