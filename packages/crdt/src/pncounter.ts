import { NegativeIncrementError } from "./errors.ts";
import {
  emptyGCounter,
  equalGCounter,
  incrementGCounter,
  leqGCounter,
  mergeGCounter,
  valueOfGCounter,
} from "./gcounter.ts";
import type { GCounter } from "./gcounter.ts";
import type { RegionId } from "./ids.ts";
import { toExactInteger } from "./int64.ts";

/** Counter that can go down: increments in `p`, decrements in `n`, value = sum(p) - sum(n). */
export type PNCounter = {
  readonly type: "pncounter";
  readonly p: GCounter;
  readonly n: GCounter;
};

export const emptyPNCounter = (): PNCounter => ({
  type: "pncounter",
  p: emptyGCounter(),
  n: emptyGCounter(),
});

export const pncounterFrom = (p: GCounter, n: GCounter): PNCounter => ({ type: "pncounter", p, n });

/**
 * Adds a signed amount: positive into `p`, negative (as its magnitude) into `n`.
 * @throws NonIntegerIncrementError, BigintRangeError, InvalidIdError
 */
export function addPNCounter(counter: PNCounter, region: RegionId, by: bigint | number): PNCounter {
  const n = toExactInteger(by);
  return n >= 0n
    ? { type: "pncounter", p: incrementGCounter(counter.p, region, n), n: counter.n }
    : { type: "pncounter", p: counter.p, n: incrementGCounter(counter.n, region, -n) };
}

/** @throws NegativeIncrementError when by < 0 (use decrementPNCounter or addPNCounter). */
export function incrementPNCounter(
  counter: PNCounter,
  region: RegionId,
  by: bigint | number = 1n,
): PNCounter {
  const n = toExactInteger(by);
  if (n < 0n) throw new NegativeIncrementError(region, n);
  return addPNCounter(counter, region, n);
}

/** @throws NegativeIncrementError when by < 0: pass the magnitude of the decrement. */
export function decrementPNCounter(
  counter: PNCounter,
  region: RegionId,
  by: bigint | number = 1n,
): PNCounter {
  const n = toExactInteger(by);
  if (n < 0n) throw new NegativeIncrementError(region, n);
  return addPNCounter(counter, region, -n);
}

export function mergePNCounter(a: PNCounter, b: PNCounter): PNCounter {
  const p = mergeGCounter(a.p, b.p);
  const n = mergeGCounter(a.n, b.n);
  return p === a.p && n === a.n ? a : { type: "pncounter", p, n };
}

export const valueOfPNCounter = (c: PNCounter): bigint =>
  valueOfGCounter(c.p) - valueOfGCounter(c.n);

export const leqPNCounter = (a: PNCounter, b: PNCounter): boolean =>
  leqGCounter(a.p, b.p) && leqGCounter(a.n, b.n);

export const equalPNCounter = (a: PNCounter, b: PNCounter): boolean =>
  equalGCounter(a.p, b.p) && equalGCounter(a.n, b.n);
