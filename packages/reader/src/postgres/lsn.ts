/**
 * A PostgreSQL WAL position ("16/B374D848"): a 64-bit unsigned integer, branded so that a raw
 * bigint or a string cannot be passed where a position is meant.
 */
export type Lsn = bigint & { readonly __brand: "Lsn" };

export const ZERO_LSN = 0n as Lsn;
const MAX = (1n << 64n) - 1n;
const PATTERN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** @throws RangeError when the text is not "hi/lo" in hex, each part up to 8 digits. */
export function parseLsn(text: string): Lsn {
  const m = PATTERN.exec(text);
  if (m === null)
    throw new RangeError(`not an LSN: '${text}' (expected hex 'X/Y', e.g. 16/B374D848)`);
  return ((BigInt(`0x${m[1] ?? "0"}`) << 32n) | BigInt(`0x${m[2] ?? "0"}`)) as Lsn;
}

/** @throws RangeError when the value is negative or above 2^64 - 1. */
export function lsnFromBigInt(value: bigint): Lsn {
  if (value < 0n || value > MAX) throw new RangeError(`LSN out of range: ${value}`);
  return value as Lsn;
}

/** PostgreSQL's own spelling: upper-case hex, no padding ("0/16B3748"). */
export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function compareLsn(a: Lsn, b: Lsn): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxLsn(a: Lsn, b: Lsn): Lsn {
  return a >= b ? a : b;
}
