// The collection barrier (docs/data-model.md, "Tombstones"). Pure: the collector reads its
// inputs from the database and applies the result.
//
// A region R that merged origin O's heartbeat h on partition p has applied every change O
// committed before h on p. Once it merged O's heartbeats on EVERY partition it consumes of O (its
// origin topic and zone topics), it has applied every change O committed before the oldest of
// them, and so every change of O stamped below that heartbeat's `stable`. That is R's applied(O).
// Each heartbeat of R reports its applied(·); a report R merged from peer P on every partition
// is P's applied(·) at a point P had committed nothing later that R lacks.

/** A source partition this region consumes. */
export interface SourcePartition {
  readonly topic: string;
  readonly partition: number;
  readonly origin: string;
}

/** The newest heartbeat merged from a source partition. */
export interface PartitionBeat extends SourcePartition {
  /** Every change of the origin committed after the beat is stamped at or above this. */
  readonly stable: bigint;
  /** The origin's own applied(·), as its beat reported it. */
  readonly applied: ReadonlyMap<string, bigint>;
}

export interface BarrierInput {
  readonly self: string;
  /** Every live region, this one included (live-regions.ts). */
  readonly live: readonly string[];
  /**
   * Regions removed for good (`georep region remove`), their partitions listed among
   * `partitions` with the last heartbeats merged from them: the removal waited until every
   * remaining region had applied all they shipped, so those beats are final, and their
   * tombstones get a barrier like a live region's. Absent: none.
   */
  readonly removed?: readonly string[];
  /** Every source partition this region consumes, whichever merge worker holds it. */
  readonly partitions: readonly SourcePartition[];
  readonly beats: readonly PartitionBeat[];
  /**
   * Origins of which this region lacks changes whatever the beats say: rows set aside in the
   * quarantine, records Kafka deleted before they were read (unrepaired gaps).
   */
  readonly blocked: ReadonlySet<string>;
}

export interface Barrier {
  /** Per origin: every change of it stamped below the value is applied here (heartbeats report this). */
  readonly applied: ReadonlyMap<string, bigint>;
  /**
   * Per deleting region X: a tombstone of X stamped below the value has been applied by every live
   * region, and this region has applied every change any region made before applying it.
   */
  readonly barrier: ReadonlyMap<string, bigint>;
  /** Per deleting region: the live regions whose progress is the barrier (or is unknown). */
  readonly heldBy: ReadonlyMap<string, readonly string[]>;
}

/** No term at all (a region alone): nothing can arrive later. PostgreSQL bigint's maximum. */
export const UNBOUNDED = 2n ** 63n - 1n;

const minOf = (values: readonly bigint[]): bigint | undefined =>
  values.length === 0 ? undefined : values.reduce((a, b) => (b < a ? b : a));

/** What this region applied of each origin, and what each origin reported, from the beats. */
function perOrigin(input: BarrierInput): {
  applied: Map<string, bigint>;
  reported: Map<string, Map<string, bigint>>;
} {
  const beatAt = new Map(input.beats.map((b) => [`${b.topic}\u0000${b.partition}`, b]));
  const byOrigin = new Map<string, PartitionBeat[] | undefined>();
  for (const p of input.partitions) {
    const beat = beatAt.get(`${p.topic}\u0000${p.partition}`);
    if (!byOrigin.has(p.origin)) byOrigin.set(p.origin, []);
    const seen = byOrigin.get(p.origin);
    if (seen === undefined) continue; // already unknown: a later heard partition must not undo it
    // One partition never heard from (or from another origin) leaves the whole origin unknown.
    if (beat === undefined || beat.origin !== p.origin) byOrigin.set(p.origin, undefined);
    else seen.push(beat);
  }
  const applied = new Map<string, bigint>();
  const reported = new Map<string, Map<string, bigint>>();
  for (const [origin, beats] of byOrigin) {
    if (beats === undefined || beats.length === 0 || input.blocked.has(origin)) continue;
    applied.set(origin, minOf(beats.map((b) => b.stable)) as bigint);
    const report = new Map<string, bigint>();
    for (const about of beats[0]?.applied.keys() ?? []) {
      const values = beats.map((b) => b.applied.get(about));
      if (values.every((v) => v !== undefined)) report.set(about, minOf(values) as bigint);
    }
    reported.set(origin, report);
  }
  return { applied, reported };
}

/** @returns this region's applied(·) and, per live or removed region, the barrier its tombstones wait for. */
export function computeBarrier(input: BarrierInput): Barrier {
  const { applied, reported } = perOrigin(input);
  const barrier = new Map<string, bigint>();
  const heldBy = new Map<string, readonly string[]>();
  for (const deleter of new Set([...input.live, ...(input.removed ?? [])])) {
    // The deleter applied its own tombstone; everyone else's term is what it applied of the deleter.
    const terms = input.live
      .filter((r) => r !== deleter)
      .map((r) => ({
        region: r,
        stamp: r === input.self ? applied.get(deleter) : reported.get(r)?.get(deleter),
      }));
    const known = terms.flatMap((t) => (t.stamp === undefined ? [] : [t.stamp]));
    const min = minOf(known);
    const complete = known.length === terms.length;
    if (complete) barrier.set(deleter, min ?? UNBOUNDED);
    // Unknown terms hold the barrier outright; otherwise the oldest does.
    heldBy.set(
      deleter,
      terms
        .filter((t) => (complete ? t.stamp === min : t.stamp === undefined))
        .map((t) => t.region),
    );
  }
  return { applied, barrier, heldBy };
}

/**
 * What the collection SQL compares each state row's tombstone with, per region of the row's
 * origin. A row's tombstone need not be its own region's delete: an insert, a repair page and an
 * own-state emit copy the key's winning tombstone into other shares (docs/data-model.md,
 * "Shipped again"), and a region that has not applied that delete yet may hold such a copy
 * without the deleter's own row. So a live region's rows get the lowest barrier of all live
 * regions, which is at or below the barrier of whichever live region deleted; none while a live
 * region's barrier is unknown. A removed region's rows get the lower of that and its own barrier,
 * which is frozen at its last heartbeats; without one, they stay. No bound is above `graceFloor`
 * (the wall clock minus the grace, as a stamp).
 */
export function collectionBounds(
  b: Barrier,
  live: readonly string[],
  graceFloor: bigint,
): { regions: string[]; stamps: bigint[] } {
  const none = { regions: [], stamps: [] };
  if (live.some((r) => !b.barrier.has(r))) return none;
  const lowest = minOf(live.map((r) => b.barrier.get(r) as bigint));
  if (lowest === undefined) return none;
  const regions = [...b.barrier.keys()];
  const stamps = regions.map(
    (r) => minOf([b.barrier.get(r) as bigint, lowest, graceFloor]) as bigint,
  );
  return { regions, stamps };
}
