import { stampAfter } from "./hlc.ts";
import type { Hlc } from "./hlc.ts";
import { assertRegionId } from "./ids.ts";
import type { RegionId } from "./ids.ts";
import { equalLww, leqLww, mergeLww } from "./lww-register.ts";
import type { LwwRegister, RegisterValue } from "./lww-register.ts";
import { regionOfReplica } from "./replica.ts";
import { compareStamp } from "./stamp.ts";

/**
 * A register column of a row keeps each region's latest write, not just the winner. Merge is
 * per-region LWW (a product of semilattices, so a semilattice), and the winner is chosen at read
 * time. That matters for `home-wins`: the home region is itself a column that can change, so a
 * merge that threw losers away using the home known *at merge time* would depend on merge order.
 * Under plain LWW the read-time winner is the same as a single register's: the max over per-region
 * maxima is the global max.
 */
export type RegisterColumn = Readonly<Record<RegionId, LwwRegister>>;

export function mergeRegisterColumn(a: RegisterColumn, b: RegisterColumn): RegisterColumn {
  let out: Record<RegionId, LwwRegister> | undefined;
  for (const region in b) {
    const theirs = b[region] as LwwRegister;
    const ours = (out ?? a)[region];
    if (ours === undefined || mergeLww(ours, theirs) !== ours) {
      out ??= { ...a };
      out[region] = theirs;
    }
  }
  return out ?? a;
}

/** The greatest write of the column by (stamp, region). */
export function latestEntry(col: RegisterColumn): LwwRegister | undefined {
  let best: LwwRegister | undefined;
  for (const region in col) {
    const e = col[region] as LwwRegister;
    if (best === undefined || compareStamp(e, best) > 0) best = e;
  }
  return best;
}

/**
 * The visible write. With `home` set (home-wins policy) the order is (isHome, stamp, replica):
 * the latest write of any incarnation of the home region wins whenever one exists; otherwise
 * plain (stamp, replica). A replica belongs to the region its id starts with (`regionOfReplica`),
 * the same reading the SQL view makes.
 */
export function resolveRegisterColumn(
  col: RegisterColumn,
  home?: RegionId,
): LwwRegister | undefined {
  if (home !== undefined) {
    let own: LwwRegister | undefined;
    for (const replica in col) {
      const e = col[replica] as LwwRegister;
      if (regionOfReplica(replica) === home && (own === undefined || compareStamp(e, own) > 0))
        own = e;
    }
    if (own !== undefined) return own;
  }
  return latestEntry(col);
}

/**
 * A local write from `region`: stamped above every write in the column, so it wins under plain
 * LWW even when our wall clock lags.
 * @throws InvalidIdError
 */
export function writeRegisterColumn(
  col: RegisterColumn,
  value: RegisterValue,
  hlc: Hlc,
  region: RegionId,
): RegisterColumn {
  assertRegionId(region);
  const entry: LwwRegister = { value, stamp: stampAfter(hlc, latestEntry(col)?.stamp), region };
  return { ...col, [region]: entry };
}

export function leqRegisterColumn(a: RegisterColumn, b: RegisterColumn): boolean {
  for (const region in a) {
    const theirs = b[region];
    if (theirs === undefined || !leqLww(a[region] as LwwRegister, theirs)) return false;
  }
  return true;
}

export function equalRegisterColumn(a: RegisterColumn, b: RegisterColumn): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((r) => {
    const theirs = b[r];
    return theirs !== undefined && equalLww(a[r] as LwwRegister, theirs);
  });
}
