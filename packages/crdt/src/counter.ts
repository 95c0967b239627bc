import { CounterKindMismatchError } from "./errors.ts";
import { equalGCounter, leqGCounter, mergeGCounter, valueOfGCounter } from "./gcounter.ts";
import type { GCounter } from "./gcounter.ts";
import type { ColumnName } from "./ids.ts";
import { equalPNCounter, leqPNCounter, mergePNCounter, valueOfPNCounter } from "./pncounter.ts";
import type { PNCounter } from "./pncounter.ts";

/** A counter column's state: the table spec fixes which of the two a column is. */
export type Counter = GCounter | PNCounter;

/** @throws CounterKindMismatchError when the two sides disagree on the column's type. */
export function mergeCounter(column: ColumnName, a: Counter, b: Counter): Counter {
  if (a.type === "gcounter" && b.type === "gcounter") return mergeGCounter(a, b);
  if (a.type === "pncounter" && b.type === "pncounter") return mergePNCounter(a, b);
  throw new CounterKindMismatchError(column, a.type, b.type);
}

export const valueOfCounter = (c: Counter): bigint =>
  c.type === "gcounter" ? valueOfGCounter(c) : valueOfPNCounter(c);

/** @throws CounterKindMismatchError */
export function leqCounter(column: ColumnName, a: Counter, b: Counter): boolean {
  if (a.type === "gcounter" && b.type === "gcounter") return leqGCounter(a, b);
  if (a.type === "pncounter" && b.type === "pncounter") return leqPNCounter(a, b);
  throw new CounterKindMismatchError(column, a.type, b.type);
}

export function equalCounter(a: Counter, b: Counter): boolean {
  if (a.type === "gcounter" && b.type === "gcounter") return equalGCounter(a, b);
  if (a.type === "pncounter" && b.type === "pncounter") return equalPNCounter(a, b);
  return false;
}

/** Sum over regions of max(0, component - base component): what was counted since `base`. */
function sinceBase(c: GCounter, base: GCounter | undefined): bigint {
  if (base === undefined) return valueOfGCounter(c);
  let sum = 0n;
  for (const region in c.counts) {
    const d = (c.counts[region] as bigint) - (base.counts[region] ?? 0n);
    if (d > 0n) sum += d;
  }
  return sum;
}

/**
 * The value visible after a tombstone whose snapshot of this column was `base`: only what was
 * counted after the delete (or concurrently with it) shows, so a re-inserted row counts from zero
 * while an increment the deleting region had not seen is not lost.
 * @throws CounterKindMismatchError
 */
export function visibleCounterValue(
  column: ColumnName,
  c: Counter,
  base: Counter | undefined,
): bigint {
  if (base !== undefined && base.type !== c.type)
    throw new CounterKindMismatchError(column, c.type, base.type);
  if (c.type === "gcounter") return sinceBase(c, base as GCounter | undefined);
  const b = base as PNCounter | undefined;
  return sinceBase(c.p, b?.p) - sinceBase(c.n, b?.n);
}
