// Which live peers hold an old collection barrier, for georep_gc_blocked_by and
// georep_gc_barrier_age_seconds. Pure: the collector passes the barrier and the time.
import { unpackHlc } from "@georep/crdt";
import type { Barrier } from "./barrier.ts";

export interface BlockedPeersInput {
  readonly self: string;
  readonly live: readonly string[];
  /** Now, wall-clock milliseconds. */
  readonly now: number;
  readonly blockedAfterSeconds: number;
  /** The collector has run longer than blockedAfterSeconds: an unknown barrier now alarms too. */
  readonly settled: boolean;
}

export interface BlockedPeers {
  /** Per live deleting region: now − its barrier's physical time, in seconds (+Inf while unknown). */
  readonly ages: ReadonlyMap<string, number>;
  /** Per live peer: true while it holds some live region's barrier more than blockedAfterSeconds old. */
  readonly blocking: ReadonlyMap<string, boolean>;
}

export function blockedPeers(b: Barrier, input: BlockedPeersInput): BlockedPeers {
  const ages = new Map<string, number>();
  const blocking = new Map(input.live.filter((r) => r !== input.self).map((r) => [r, false]));
  for (const [deleter, holders] of b.heldBy) {
    // A removed region's barrier is frozen at its last beats, and old by nature: no alarm.
    if (!input.live.includes(deleter)) continue;
    const stamp = b.barrier.get(deleter);
    const age =
      stamp === undefined
        ? Infinity
        : Math.max(0, (input.now - unpackHlc(stamp).physicalMs) / 1000);
    ages.set(deleter, age);
    if (age > input.blockedAfterSeconds && (input.settled || stamp !== undefined))
      for (const r of holders) blocking.set(r, true);
  }
  return { ages, blocking };
}
