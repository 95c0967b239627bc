import type { HlcStamp } from "./hlc.ts";
import type { RegionId } from "./ids.ts";

/**
 * A write's identity: (HLC stamp, region). Ordered lexicographically, a total order, so every
 * region picks the same winner. A region's HLC never repeats a stamp, so no two different writes
 * share a Stamp; that is what makes "keep the greater" commutative.
 */
export type Stamp = { readonly stamp: HlcStamp; readonly region: RegionId };

/** Negative when a < b, 0 when equal, positive when a > b. Region ids compare by UTF-16 code unit. */
export function compareStamp(a: Stamp, b: Stamp): number {
  if (a.stamp !== b.stamp) return a.stamp < b.stamp ? -1 : 1;
  if (a.region === b.region) return 0;
  return a.region < b.region ? -1 : 1;
}

/** The greater of two optional stamps (undefined is the bottom). Ties keep `a`. */
export function maxStamp<S extends Stamp>(a: S | undefined, b: S | undefined): S | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareStamp(b, a) > 0 ? b : a;
}

/** a <= b with undefined as the bottom. */
export function leqStamp(a: Stamp | undefined, b: Stamp | undefined): boolean {
  if (a === undefined) return true;
  return b !== undefined && compareStamp(a, b) <= 0;
}

/** Strictly greater, undefined as the bottom. */
export const gtStamp = (a: Stamp | undefined, b: Stamp | undefined): boolean => !leqStamp(a, b);
