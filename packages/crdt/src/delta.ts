import type { Counter } from "./counter.ts";
import type { GCounter } from "./gcounter.ts";
import type { ColumnName, RegionId } from "./ids.ts";
import type { LwwRegister } from "./lww-register.ts";
import type { PNCounter } from "./pncounter.ts";
import type { RegisterColumn } from "./register-column.ts";
import { withStamps } from "./row.ts";
import type { RowState } from "./row.ts";
import { gtStamp } from "./stamp.ts";

// delta(from, to) is the part of `to` that `from` does not already hold, with the law
//   merge(from, delta(from, to)) == merge(from, to)
// so a region can ship only what changed since a state it knows the receiver holds (or held:
// merging a delta into any state >= `from` is as good as merging `to`). Deltas are states.

export function deltaGCounter(from: GCounter, to: GCounter): GCounter {
  const counts: Record<RegionId, bigint> = {};
  for (const region in to.counts) {
    const v = to.counts[region] as bigint;
    if (v > (from.counts[region] ?? 0n)) counts[region] = v;
  }
  return { type: "gcounter", counts };
}

export const deltaPNCounter = (from: PNCounter, to: PNCounter): PNCounter => ({
  type: "pncounter",
  p: deltaGCounter(from.p, to.p),
  n: deltaGCounter(from.n, to.n),
});

/** A counter's delta; a type mismatch ships `to` whole so the receiver's merge reports it. */
export function deltaCounter(from: Counter | undefined, to: Counter): Counter {
  if (from?.type === "gcounter" && to.type === "gcounter") return deltaGCounter(from, to);
  if (from?.type === "pncounter" && to.type === "pncounter") return deltaPNCounter(from, to);
  return to;
}

const isEmptyCounter = (c: Counter): boolean =>
  c.type === "gcounter"
    ? Object.keys(c.counts).length === 0
    : Object.keys(c.p.counts).length + Object.keys(c.n.counts).length === 0;

export function deltaRegisterColumn(
  from: RegisterColumn | undefined,
  to: RegisterColumn,
): RegisterColumn {
  const out: Record<RegionId, LwwRegister> = {};
  for (const region in to) {
    const theirs = to[region] as LwwRegister;
    if (gtStamp(theirs, from?.[region])) out[region] = theirs;
  }
  return out;
}

/** Everything in `to` that `from` lacks: newer components, newer register writes, newer stamps. */
export function deltaRow(from: RowState, to: RowState): RowState {
  const counters: Record<ColumnName, Counter> = {};
  for (const column in to.counters) {
    const d = deltaCounter(from.counters[column], to.counters[column] as Counter);
    // A column `from` lacks travels even when empty: the view lists every known counter column.
    if (!isEmptyCounter(d) || from.counters[column] === undefined) counters[column] = d;
  }
  const registers: Record<ColumnName, RegisterColumn> = {};
  for (const column in to.registers) {
    const d = deltaRegisterColumn(from.registers[column], to.registers[column] as RegisterColumn);
    if (Object.keys(d).length > 0 || from.registers[column] === undefined) registers[column] = d;
  }
  const inserted = gtStamp(to.inserted, from.inserted) ? to.inserted : undefined;
  const deleted = gtStamp(to.deleted, from.deleted) ? to.deleted : undefined;
  return withStamps({ counters, registers }, inserted, deleted);
}

/** True when the delta carries nothing (nothing to ship). */
export const isEmptyRowDelta = (d: RowState): boolean =>
  Object.keys(d.counters).length === 0 &&
  Object.keys(d.registers).length === 0 &&
  d.inserted === undefined &&
  d.deleted === undefined;
