import { NegativeIncrementError } from "./errors.ts";
import { assertRegionId } from "./ids.ts";
import type { RegionId } from "./ids.ts";
import { assertPgBigint, toExactInteger } from "./int64.ts";

/**
 * Grow-only counter: one component per region, each only ever written by its own region.
 * Merge = per-component max, value = sum. A missing component means 0; components are never
 * stored as 0, so two equal counters have the same keys.
 */
export type GCounter = {
  readonly type: "gcounter";
  readonly counts: Readonly<Record<RegionId, bigint>>;
};

const EMPTY: GCounter = Object.freeze({ type: "gcounter", counts: Object.freeze({}) });

export const emptyGCounter = (): GCounter => EMPTY;

/**
 * Builds a counter from `[region, count]` pairs (or a record), dropping zeros.
 * @throws InvalidIdError, BigintRangeError
 */
export function gcounterFrom(
  entries: Iterable<readonly [RegionId, bigint]> | Readonly<Record<RegionId, bigint>>,
): GCounter {
  const counts: Record<RegionId, bigint> = {};
  const pairs = Symbol.iterator in entries ? entries : Object.entries(entries);
  for (const [region, count] of pairs) {
    assertRegionId(region);
    assertPgBigint(`G-counter component "${region}"`, count);
    if (count !== 0n) counts[region] = count;
  }
  return { type: "gcounter", counts };
}

/**
 * Adds `by` to `region`'s component.
 * @throws NegativeIncrementError when by < 0 (a G-counter never shrinks),
 *   NonIntegerIncrementError when by is not an integer, BigintRangeError past 2^63-1,
 *   InvalidIdError for a bad region id.
 */
export function incrementGCounter(
  counter: GCounter,
  region: RegionId,
  by: bigint | number = 1n,
): GCounter {
  const n = toExactInteger(by);
  assertRegionId(region);
  if (n < 0n) throw new NegativeIncrementError(region, n);
  if (n === 0n) return counter;
  const next = assertPgBigint(
    `G-counter component "${region}"`,
    (counter.counts[region] ?? 0n) + n,
  );
  return { type: "gcounter", counts: { ...counter.counts, [region]: next } };
}

/** Per-component max. Returns `a` itself when it already dominates `b` (no allocation). */
export function mergeGCounter(a: GCounter, b: GCounter): GCounter {
  const bc = b.counts;
  let out: Record<RegionId, bigint> | undefined;
  for (const region in bc) {
    const v = bc[region] as bigint;
    const cur = (out ?? a.counts)[region];
    if (cur === undefined || v > cur) {
      out ??= { ...a.counts };
      out[region] = v;
    }
  }
  return out === undefined ? a : { type: "gcounter", counts: out };
}

/** Sum of the components: the counter's value. */
export function valueOfGCounter(counter: GCounter): bigint {
  let sum = 0n;
  for (const region in counter.counts) sum += counter.counts[region] as bigint;
  return sum;
}

/** The semilattice order: a <= b iff every component of a is <= the same component of b. */
export function leqGCounter(a: GCounter, b: GCounter): boolean {
  for (const region in a.counts) {
    if ((a.counts[region] as bigint) > (b.counts[region] ?? 0n)) return false;
  }
  return true;
}

export const equalGCounter = (a: GCounter, b: GCounter): boolean =>
  leqGCounter(a, b) && leqGCounter(b, a);

/** Own component of `region` (0 when absent). */
export const componentOf = (counter: GCounter, region: RegionId): bigint =>
  counter.counts[region] ?? 0n;
