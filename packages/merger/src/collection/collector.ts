// One collection pass (run by the merger's housekeeping every collectionIntervalMs):
//
//   read inputs ──▶ computeBarrier ──▶ write georep.applied (the next heartbeat reports it)
//     ──▶ per table: collect up to batchKeys keys per transaction, until a batch comes back short
//     ──▶ gauges: tombstones waiting, barrier age, who holds the barrier
import type { Pool } from "pg";
import { originTopic } from "@georep/contract";
import { packHlc } from "@georep/crdt";
import type { Logger, WallClock } from "@georep/observability";
import type { StateLayout } from "@georep/schema";
import { sqlStateOf } from "@georep/schema";
import { MergeError } from "../errors.ts";
import type { SourceTopic } from "../routing.ts";
import { collectionBounds, computeBarrier } from "./barrier.ts";
import type { Barrier, SourcePartition } from "./barrier.ts";
import { readBarrierInputs, writeApplied } from "./barrier-inputs.ts";
import { blockedPeers } from "./blocked-peers.ts";
import type { CollectionMetrics } from "./collection-metrics.ts";
import { waitedRegions } from "./live-regions.ts";
import { collectionSql } from "./collection-sql.ts";

export interface CollectorDeps {
  readonly pool: Pool;
  readonly self: string;
  /** The live regions, read at every pass (live-regions.ts). */
  readonly live: () => readonly string[];
  readonly sources: readonly SourceTopic[];
  /** Partitions every source topic has at least (the merger's topicPartitions). */
  readonly partitions: number;
  readonly layouts: ReadonlyMap<string, StateLayout>;
  readonly metrics: CollectionMetrics;
  readonly clock: WallClock;
  readonly log: Logger;
  /** Whether to collect at all; off, a pass only computes and reports applied progress. */
  readonly collect: boolean;
  /** A tombstone younger than this stays whatever the barrier (options.collectionGraceSeconds). */
  readonly graceMs: number;
  /** Keys collected per transaction. */
  readonly batchKeys: number;
  /** A barrier older than this names the regions holding it (georep_gc_blocked_by). */
  readonly blockedAfterSeconds: number;
  /** How long a batch waits for the state table's writers before it yields to them. */
  readonly lockTimeoutMs: number;
}

export interface CollectionPass {
  readonly barrier: Barrier;
  /** Keys collected per table in this pass. */
  readonly collected: ReadonlyMap<string, number>;
}

export interface Collector {
  /** @throws MergeError (with the cause) when the database cannot be read or written. */
  pass(): Promise<CollectionPass>;
}

/** Batches per table and pass: the next pass goes on, so one pass never runs for long. */
const MAX_BATCHES_PER_PASS = 50;
const LOCK_NOT_AVAILABLE = "55P03";

export function createCollector(deps: CollectorDeps): Collector {
  const sql = new Map(
    [...deps.layouts].map(([name, l]) => [name, { layout: l, ...collectionSql(l) }]),
  );
  const expected = (
    progressed: readonly SourcePartition[],
    removed: ReadonlySet<string>,
  ): SourcePartition[] => {
    const byTopic = new Map(deps.sources.map((s) => [s.topic, s.origin]));
    const all = new Map<string, SourcePartition>();
    // A removed region's origin topic too, no longer consumed: its last beats are final
    // (barrier.ts); its zone topics' partitions come with their progress below.
    const removedTopics = [...removed].map((origin) => ({ topic: originTopic(origin), origin }));
    for (const s of [...deps.sources, ...removedTopics])
      for (let partition = 0; partition < deps.partitions; partition++)
        all.set(`${s.topic}/${partition}`, { topic: s.topic, partition, origin: s.origin });
    // A topic with more partitions than configured: those with progress count too.
    for (const p of progressed) {
      const origin = byTopic.get(p.topic);
      if (origin !== undefined) all.set(`${p.topic}/${p.partition}`, { ...p, origin });
      else if (removed.has(p.origin)) all.set(`${p.topic}/${p.partition}`, p);
    }
    return [...all.values()];
  };

  /** One batch in its own transaction; the SHARE ROW EXCLUSIVE lock keeps merges and local writes out meanwhile. */
  const batch = async (
    table: { layout: StateLayout; collect: string },
    regions: string[],
    stamps: string[],
  ): Promise<number | undefined> => {
    const client = await deps.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(deps.lockTimeoutMs))}`);
      // A dead key has no user row to lock, so a re-insert (local or merged) would only meet
      // collection at its state rows: the table lock orders the two.
      await client.query(`LOCK TABLE ${table.layout.stateTable} IN SHARE ROW EXCLUSIVE MODE`);
      const { rows } = await client.query<{ keys: number; rows: number }>(table.collect, [
        regions,
        stamps,
        deps.batchKeys,
      ]);
      await client.query("COMMIT");
      return rows[0]?.keys ?? 0;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      if (sqlStateOf(error) === LOCK_NOT_AVAILABLE) return undefined;
      broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  };

  const collectTable = async (
    name: string,
    table: { layout: StateLayout; collect: string; waiting: string },
    bounds: { regions: string[]; stamps: bigint[] },
  ): Promise<number> => {
    const regions = bounds.regions;
    const stamps = bounds.stamps.map(String);
    let total = 0;
    for (let i = 0; i < MAX_BATCHES_PER_PASS; i++) {
      const keys = await batch(table, regions, stamps);
      if (keys === undefined) break; // writers busy: next pass
      total += keys;
      if (keys < deps.batchKeys) break;
    }
    if (total > 0) deps.metrics.collected(name, total);
    const { rows } = await deps.pool.query<{ n: number }>(table.waiting);
    deps.metrics.setWaiting(name, rows[0]?.n ?? 0);
    return total;
  };

  // A barrier unknown since start is no alarm until blockedAfterSeconds passed: the first
  // heartbeats take a few seconds to go round.
  const startedAt = deps.clock();
  const gauges = (b: Barrier, live: readonly string[]): void => {
    const now = deps.clock();
    const { ages, blocking } = blockedPeers(b, {
      self: deps.self,
      live,
      now,
      blockedAfterSeconds: deps.blockedAfterSeconds,
      settled: (now - startedAt) / 1000 > deps.blockedAfterSeconds,
    });
    deps.metrics.setBarrierAge(ages);
    deps.metrics.setBlockedBy(blocking);
  };

  return {
    async pass() {
      try {
        const inputs = await readBarrierInputs(deps.pool);
        const live = waitedRegions(deps.live(), inputs.waitedFor);
        const removed = new Set(inputs.removed.filter((r) => !live.includes(r)));
        const b = computeBarrier({
          self: deps.self,
          live,
          removed: [...removed],
          partitions: expected(inputs.progressed, removed),
          beats: inputs.beats,
          blocked: inputs.blocked,
        });
        await writeApplied(deps.pool, b.applied);
        gauges(b, live);
        const collected = new Map<string, number>();
        const graceFloor = packHlc(Math.max(0, Math.floor(deps.clock() - deps.graceMs)));
        const bounds = collectionBounds(b, live, graceFloor);
        if (deps.collect)
          for (const [name, table] of sql)
            collected.set(name, await collectTable(name, table, bounds));
        return { barrier: b, collected };
      } catch (error) {
        throw new MergeError(
          `merger ${deps.self}: tombstone collection failed: ${(error as Error).message}`,
          { step: "collect tombstones" },
          { cause: error },
        );
      }
    },
  };
}
