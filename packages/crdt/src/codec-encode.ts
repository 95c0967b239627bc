import type { Counter } from "./counter.ts";
import type { GCounter } from "./gcounter.ts";
import type { ColumnName, RegionId } from "./ids.ts";
import type { RegisterValue } from "./lww-register.ts";
import type { RowState } from "./row.ts";

// Encoding needs no validation: our own states are valid by construction. The wire shapes are
// described in codec-schemas.ts; empty groups are left out.

export type EncodedCounts = Readonly<Record<RegionId, string>>;
export type EncodedCounters = {
  readonly gcounters?: Readonly<Record<ColumnName, EncodedCounts>>;
  readonly pncounters?: Readonly<
    Record<ColumnName, { readonly p: EncodedCounts; readonly n: EncodedCounts }>
  >;
};
export type EncodedStamp = { readonly stamp: string; readonly region: RegionId };
export type EncodedRowBody = EncodedCounters & {
  readonly registers?: Readonly<
    Record<ColumnName, Readonly<Record<RegionId, readonly [RegisterValue, string]>>>
  >;
  readonly inserted?: EncodedStamp;
  readonly deleted?: EncodedStamp & { readonly base: EncodedCounters };
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function encodeCounts(c: GCounter): EncodedCounts {
  const out: Record<RegionId, string> = {};
  for (const region in c.counts) out[region] = (c.counts[region] as bigint).toString();
  return out;
}

export function encodeCounters(counters: Readonly<Record<ColumnName, Counter>>): EncodedCounters {
  const g: Record<ColumnName, EncodedCounts> = {};
  const pn: Record<ColumnName, { p: EncodedCounts; n: EncodedCounts }> = {};
  let hasG = false;
  let hasPn = false;
  for (const column in counters) {
    const c = counters[column] as Counter;
    if (c.type === "gcounter") {
      g[column] = encodeCounts(c);
      hasG = true;
    } else {
      pn[column] = { p: encodeCounts(c.p), n: encodeCounts(c.n) };
      hasPn = true;
    }
  }
  const out: Mutable<EncodedCounters> = {};
  if (hasG) out.gcounters = g;
  if (hasPn) out.pncounters = pn;
  return out;
}

export function encodeRowBody(row: RowState): EncodedRowBody {
  const body: Mutable<EncodedRowBody> = encodeCounters(row.counters);
  const registers: Record<ColumnName, Record<RegionId, readonly [RegisterValue, string]>> = {};
  let hasRegisters = false;
  for (const column in row.registers) {
    const col = row.registers[column] ?? {};
    const out: Record<RegionId, readonly [RegisterValue, string]> = {};
    for (const region in col) {
      const e = col[region];
      if (e !== undefined) out[region] = [e.value, e.stamp.toString()];
    }
    registers[column] = out;
    hasRegisters = true;
  }
  if (hasRegisters) body.registers = registers;
  if (row.inserted)
    body.inserted = { stamp: row.inserted.stamp.toString(), region: row.inserted.region };
  if (row.deleted) {
    const { stamp, region, base } = row.deleted;
    body.deleted = { stamp: stamp.toString(), region, base: encodeCounters(base) };
  }
  return body;
}
