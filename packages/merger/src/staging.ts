import type { RowSlice, RowsEnvelope } from "@georep/contract";
import { mergeStateRow } from "@georep/crdt";
import type { StateRow } from "@georep/crdt";
import type { StateLayout } from "@georep/schema";
import { componentColumns } from "@georep/schema";

/**
 * A batch's slices coalesced into one state row per (table, key, replica) with the core's
 * state-row merge (the rules the SQL upsert is generated from), so a single set-based upsert
 * never meets the same state row twice.
 */
export interface StagedRow extends StateRow {
  readonly key: readonly string[];
}

/** A slice this region cannot merge: unknown table or columns (a spec mismatch between regions). */
export class SliceMismatchError extends Error {
  override readonly name = "SliceMismatchError";
}

export type Staged = Map<string, Map<string, StagedRow>>; // table -> "key|replica" -> row

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

/** A slice of `replica` as the state row it carries (key values in the layout's key order). */
export function toStaged(slice: RowSlice, replica: string, layout: StateLayout): StagedRow {
  return {
    key: layout.key.map((k) => slice.key[k.name] ?? ""),
    replica,
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
      const id = JSON.stringify([row.key, row.replica]);
      let table = staged.get(slice.table);
      if (table === undefined) {
        table = new Map<string, StagedRow>();
        staged.set(slice.table, table);
      }
      const existing = table.get(id);
      if (existing === undefined) table.set(id, row);
      else mergeStateRow(existing, row);
    }
  }
  return staged;
}
