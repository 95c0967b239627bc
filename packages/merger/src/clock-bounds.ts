// Bounds on what a remote region says about time. A stamp far in the future would win every
// later write to its register, move this region's clock (the capture trigger stamps after the
// newest stamp it sees) and, near 2^63, overflow the next local stamp for good. A commit time in
// the future would pin the lag gauge at 0 and blind the lag alerts.
import type { RowSlice } from "@georep/contract";
import { LOGICAL_BITS, LOGICAL_MAX, packHlc, PHYSICAL_MAX_MS } from "@georep/crdt";

/** The newest HLC stamp a slice carries (register writes, insert, delete). */
export function newestStamp(slice: RowSlice): bigint {
  let newest = 0n;
  const see = (t: string | null): void => {
    if (t !== null && BigInt(t) > newest) newest = BigInt(t);
  };
  for (const r of Object.values(slice.registers)) see(r.t);
  see(slice.ins);
  see(slice.del);
  return newest;
}

/**
 * Why `slice` is stamped beyond `nowMs + maxForwardSkewMs`, or undefined when it is not.
 * Such a slice is set aside (`clock-skew`) instead of merged.
 */
export function clockSkewOf(
  slice: RowSlice,
  nowMs: number,
  maxForwardSkewMs: number,
): string | undefined {
  const ceilingMs = Math.min(PHYSICAL_MAX_MS, Math.floor(nowMs + maxForwardSkewMs));
  const newest = newestStamp(slice);
  if (newest <= packHlc(ceilingMs, LOGICAL_MAX)) return undefined;
  const aheadMs = Number(newest >> LOGICAL_BITS) - nowMs;
  return `stamp ${newest} is ${aheadMs} ms ahead of this region's clock, beyond the allowed forward skew of ${maxForwardSkewMs} ms: check the origin's clock (NTP), then replay`;
}

/** A commit time is never later than when it was received: the lag gauge counts from there. */
export const receivedCommitTime = (commitTime: number, nowMs: number): number =>
  Math.min(commitTime, nowMs);
