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

export type Staged = Map<string, Map<string, StagedRow>>; // table -> "key|replica" -> row

interface KnownColumns {
  readonly keys: ReadonlySet<string>;
  readonly components: ReadonlySet<string>;
  readonly registers: ReadonlySet<string>;
}

// Built once per layout: every remote row is checked against them.
const knownColumns = new WeakMap<StateLayout, KnownColumns>();
function columnsOf(layout: StateLayout): KnownColumns {
  let known = knownColumns.get(layout);
  if (known === undefined) {
    known = {
      keys: new Set(layout.key.map((k) => k.name)),
      components: new Set(componentColumns(layout)),
      registers: new Set(layout.registers.map((r) => r.column)),
    };
    knownColumns.set(layout, known);
  }
  return known;
}

/** What this region's spec lacks for `slice` (table, key or column), or undefined when nothing. */
export function sliceMismatch(
  slice: RowSlice,
  layouts: ReadonlyMap<string, StateLayout>,
): string | undefined {
  const layout = layouts.get(slice.table);
  if (layout === undefined) return `table '${slice.table}' is not replicated here`;
  const missing = layout.key.find((k) => slice.key[k.name] === undefined);
  if (missing !== undefined) return `${slice.table}: key column '${missing.name}' is missing`;
  const known = columnsOf(layout);
  // A key column this region lacks: merging would fold rows distinct at the origin into one.
  const extra = Object.keys(slice.key).find((k) => !known.keys.has(k));
  if (extra !== undefined) return `${slice.table}: unknown key column '${extra}'`;
  const counter = Object.keys(slice.counters).find((c) => !known.components.has(c));
  if (counter !== undefined) return `${slice.table}: unknown counter component '${counter}'`;
  const register = Object.keys(slice.registers).find((r) => !known.registers.has(r));
  if (register !== undefined) return `${slice.table}: unknown register column '${register}'`;
  return undefined;
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
    born: slice.born === undefined ? 0n : BigInt(slice.born),
  };
}

/** Stages every slice of `envelopes` (already checked with sliceMismatch). */
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
