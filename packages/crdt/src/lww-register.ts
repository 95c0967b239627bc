import { stampAfter } from "./hlc.ts";
import type { Hlc } from "./hlc.ts";
import { assertRegionId } from "./ids.ts";
import type { RegionId } from "./ids.ts";
import { compareStamp } from "./stamp.ts";

/**
 * A register value as it travels: JSON scalars. Exact numerics (numeric, bigint columns) travel
 * as their PostgreSQL text form in a string, so nothing is rounded through a double.
 */
export type RegisterValue = string | number | boolean | null;

/** Last-writer-wins register: the write with the greatest (stamp, region) wins. */
export type LwwRegister<V extends RegisterValue = RegisterValue> = {
  readonly value: V;
  readonly stamp: bigint;
  readonly region: RegionId;
};

export const compareLww = (a: LwwRegister, b: LwwRegister): number => compareStamp(a, b);

/** Keeps the greater write; on an exact tie (the same write twice) keeps `a`. */
export function mergeLww<V extends RegisterValue>(
  a: LwwRegister<V>,
  b: LwwRegister<V>,
): LwwRegister<V> {
  return compareStamp(b, a) > 0 ? b : a;
}

/**
 * A local write: its stamp is max(current + 1, hlc.now()), so it beats the value it overwrites
 * even when our wall clock is behind the region that wrote `current`.
 * @throws InvalidIdError for a bad region id.
 */
export function writeLww<V extends RegisterValue>(
  current: LwwRegister<V> | undefined,
  value: V,
  hlc: Hlc,
  region: RegionId,
): LwwRegister<V> {
  assertRegionId(region);
  return { value, stamp: stampAfter(hlc, current?.stamp), region };
}

export const leqLww = (a: LwwRegister, b: LwwRegister): boolean => compareStamp(a, b) <= 0;

/** Same write: same stamp and region (and therefore, by the stamp invariant, the same value). */
export const equalLww = (a: LwwRegister, b: LwwRegister): boolean =>
  compareStamp(a, b) === 0 && a.value === b.value;
