import type { RowSlice, RowsEnvelope } from "@georep/contract";
import type { StateLayout } from "@georep/schema";
import { componentColumns } from "@georep/schema";

/**
 * Coalesces the row slices of a batch into one staged row per (table, key, origin), by the same
 * rules the SQL merge uses (component max, register by stamp, ins max, tombstone by stamp), so a
 * single set-based upsert never meets the same state row twice.
 */
export interface StagedRow {
  readonly key: readonly string[];
  readonly origin: string;
  zone: string | null;
  readonly counters: Map<string, bigint>;
  readonly registers: Map<string, { v: string | null; t: bigint }>;
  ins: bigint | null;
  del: bigint | null;
  delBase: unknown;
}

/** A slice this region cannot merge: unknown table or columns (a spec mismatch between regions). */
export class SliceMismatchError extends Error {
  override readonly name = "SliceMismatchError";
}

export type Staged = Map<string, Map<string, StagedRow>>; // table -> "key|origin" -> row

/** @throws SliceMismatchError naming the table or column this region does not know. */
export function checkEnvelope(
  envelope: RowsEnvelope,
  layouts: ReadonlyMap<string, StateLayout>,
): void {
  for (const slice of envelope.rows) {
    const layout = layouts.get(slice.table);
    if (layout === undefined)
      throw new SliceMismatchError(`table '${slice.table}' is not replicated here`);
    for (const k of layout.key) {
      if (slice.key[k.name] === undefined)
        throw new SliceMismatchError(`${slice.table}: key column '${k.name}' is missing`);
    }
    const comps = new Set(componentColumns(layout));
    for (const c of Object.keys(slice.counters)) {
      if (!comps.has(c))
        throw new SliceMismatchError(`${slice.table}: unknown counter component '${c}'`);
    }
    const regs = new Set(layout.registers.map((r) => r.column));
    for (const r of Object.keys(slice.registers)) {
      if (!regs.has(r))
        throw new SliceMismatchError(`${slice.table}: unknown register column '${r}'`);
    }
  }
}

const max = (a: bigint | null, b: bigint | null): bigint | null =>
  a === null ? b : b === null || a >= b ? a : b;

function topStamp(row: StagedRow): bigint {
  let top = -1n;
  for (const s of [row.ins, row.del, ...[...row.registers.values()].map((r) => r.t)])
    if (s !== null && s > top) top = s;
  return top;
}

function toStaged(slice: RowSlice, origin: string, layout: StateLayout): StagedRow {
  return {
    key: layout.key.map((k) => slice.key[k.name] ?? ""),
    origin,
    zone: slice.zone,
    counters: new Map(Object.entries(slice.counters).map(([c, v]) => [c, BigInt(v)])),
    registers: new Map(
      Object.entries(slice.registers).map(([c, r]) => [c, { v: r.v, t: BigInt(r.t) }]),
    ),
    ins: slice.ins === null ? null : BigInt(slice.ins),
    del: slice.del === null ? null : BigInt(slice.del),
    delBase: slice.delBase,
  };
}

/** Folds `next` into `into` (same key and origin). */
export function mergeStaged(into: StagedRow, next: StagedRow): void {
  if (topStamp(next) > topStamp(into)) into.zone = next.zone;
  for (const [c, v] of next.counters)
    if (v > (into.counters.get(c) ?? -1n)) into.counters.set(c, v);
  for (const [c, r] of next.registers) {
    const cur = into.registers.get(c);
    if (cur === undefined || r.t > cur.t) into.registers.set(c, r);
  }
  into.ins = max(into.ins, next.ins);
  if (next.del !== null && (into.del === null || next.del > into.del)) {
    into.del = next.del;
    into.delBase = next.delBase;
  }
}

/** Stages every slice of `envelopes` (already checked with checkEnvelope). */
export function stageEnvelopes(
  envelopes: readonly RowsEnvelope[],
  layouts: ReadonlyMap<string, StateLayout>,
): Staged {
  const staged: Staged = new Map();
  for (const envelope of envelopes) {
    for (const slice of envelope.rows) {
      const layout = layouts.get(slice.table);
      if (layout === undefined) continue;
      const row = toStaged(slice, envelope.replica ?? envelope.origin, layout);
      const id = JSON.stringify([row.key, row.origin]);
      let table = staged.get(slice.table);
      if (table === undefined) {
        table = new Map<string, StagedRow>();
        staged.set(slice.table, table);
      }
      const existing = table.get(id);
      if (existing === undefined) table.set(id, row);
      else mergeStaged(existing, row);
    }
  }
  return staged;
}
