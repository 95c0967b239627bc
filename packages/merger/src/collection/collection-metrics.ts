import type { Metrics } from "@georep/observability";

/** Tombstone collection's Prometheus series. */
export interface CollectionMetrics {
  collected(table: string, keys: number): void;
  setWaiting(table: string, keys: number): void;
  /** Per deleting region: now − the barrier's physical time (+Inf while unknown). */
  setBarrierAge(ages: ReadonlyMap<string, number>): void;
  /** Per live peer region: 1 while it holds some barrier more than `blockedAfterSeconds` old. */
  setBlockedBy(blocking: ReadonlyMap<string, boolean>): void;
}

export function createCollectionMetrics(metrics: Metrics): CollectionMetrics {
  const named = new Set<string>();
  const collected = metrics.counter(
    "georep_tombstones_collected_total",
    "Deleted keys whose every state row was collected (the tombstone every live region applied), by table.",
    ["table"],
  );
  const waiting = metrics.gauge(
    "georep_tombstones_waiting",
    "Deleted keys still holding state rows, by table: collected once every live region applied their tombstones.",
    ["table"],
  );
  const age = metrics.gauge(
    "georep_gc_barrier_age_seconds",
    "Now minus the collection barrier for tombstones of a deleting region (+Inf while a live region's progress is unknown).",
    ["origin"],
  );
  const blockedBy = metrics.gauge(
    "georep_gc_blocked_by",
    "1 while this live region's reported progress holds a tombstone collection barrier that is old: the region is down, lagging or not reporting. (Label peer: `region` is the scraped region's.)",
    ["peer"],
  );
  return {
    collected: (table, keys) => {
      collected.inc({ table }, keys);
    },
    setWaiting: (table, keys) => {
      waiting.set({ table }, keys);
    },
    setBarrierAge: (ages) => {
      for (const [origin, seconds] of ages) age.set({ origin }, seconds);
    },
    setBlockedBy: (blocking) => {
      // A peer no longer waited for (a hold released, a region removed) reads 0, not its last value.
      for (const peer of named) if (!blocking.has(peer)) blockedBy.set({ peer }, 0);
      for (const [peer, on] of blocking) {
        blockedBy.set({ peer }, on ? 1 : 0);
        named.add(peer);
      }
    },
  };
}
