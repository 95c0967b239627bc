import type { Counter } from "../counter.ts";
import { gcounterFrom } from "../gcounter.ts";
import type { GCounter } from "../gcounter.ts";
import type { ColumnName } from "../ids.ts";
import type { LwwRegister, RegisterValue } from "../lww-register.ts";
import { pncounterFrom } from "../pncounter.ts";
import type { RegisterColumn } from "../register-column.ts";
import { withStamps } from "../row.ts";
import type { RowState, Tombstone } from "../row.ts";
import { baseApplies, isKilled, lifetimesOf } from "../state-row.ts";
import type { StateRow } from "../state-row.ts";
import { maxStamp } from "../stamp.ts";
import type { Stamp } from "../stamp.ts";

// The correspondence between the core's RowState and the state rows every region stores (one
// per (key, replica)): the oracle that lets tests check the state-row merge, and the SQL built
// from the same rules, against the core's row merge.

/** How a table names its counter components: `p` for a G-counter (and a PN-counter's increments), `n` for decrements. */
export interface StateColumns {
  readonly gcounters: readonly ColumnName[];
  readonly pncounters: readonly ColumnName[];
  readonly registers: readonly ColumnName[];
  readonly component: (column: ColumnName, half: "p" | "n") => string;
}

/** Register values as a text column holds them (the state stores `value::text`). */
export const registerText = (v: RegisterValue): string | null => (v === null ? null : String(v));

/** The row with every register value as its text: what reading it back from SQL can give. */
export function withTextRegisters(row: RowState): RowState {
  const registers: Record<ColumnName, RegisterColumn> = {};
  for (const [column, col] of Object.entries(row.registers)) {
    const out: Record<string, LwwRegister> = {};
    for (const [replica, e] of Object.entries(col))
      out[replica] = { ...e, value: registerText(e.value) };
    registers[column] = out;
  }
  return withStamps({ counters: row.counters, registers }, row.inserted, row.deleted);
}

function halves(counter: Counter): Array<["p" | "n", GCounter]> {
  return counter.type === "gcounter"
    ? [["p", counter]]
    : [
        ["p", counter.p],
        ["n", counter.n],
      ];
}

/** The tombstone's base as a state row stores it: replica -> component -> count (as text). */
function baseObject(
  base: Tombstone["base"],
  cols: StateColumns,
): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [column, counter] of Object.entries(base))
    for (const [half, g] of halves(counter))
      for (const [replica, n] of Object.entries(g.counts))
        (out[replica] ??= {})[cols.component(column, half)] = n.toString();
  return out;
}

/** Splits a row into its state rows, one per replica that holds anything of it. */
export function stateRowsOfRow(row: RowState, cols: StateColumns): StateRow[] {
  const rows = new Map<string, StateRow>();
  const of = (replica: string): StateRow => {
    let r = rows.get(replica);
    if (r === undefined) {
      r = {
        replica,
        born: 0n,
        zone: null,
        counters: new Map(),
        registers: new Map(),
        ins: null,
        del: null,
        delBase: null,
      };
      rows.set(replica, r);
    }
    return r;
  };
  for (const [column, counter] of Object.entries(row.counters))
    for (const [half, g] of halves(counter))
      for (const [replica, n] of Object.entries(g.counts))
        of(replica).counters.set(cols.component(column, half), n);
  for (const [column, col] of Object.entries(row.registers))
    for (const [replica, e] of Object.entries(col))
      of(replica).registers.set(column, { v: registerText(e.value), t: e.stamp });
  if (row.inserted !== undefined) of(row.inserted.region).ins = row.inserted.stamp;
  if (row.deleted !== undefined) {
    const r = of(row.deleted.region);
    r.del = row.deleted.stamp;
    r.delBase = baseObject(row.deleted.base, cols);
  }
  return [...rows.values()];
}

function counterOf(rows: readonly StateRow[], name: string): GCounter {
  return gcounterFrom(rows.map((r) => [r.replica, r.counters.get(name) ?? 0n] as const));
}

function baseCounter(base: unknown, name: string): GCounter {
  const counts: Array<[string, bigint]> = [];
  for (const [replica, comps] of Object.entries(
    (base ?? {}) as Record<string, Record<string, string>>,
  )) {
    const n = comps[name];
    if (n !== undefined) counts.push([replica, BigInt(n)]);
  }
  return gcounterFrom(counts);
}

function tombstoneOf(r: StateRow, stamp: bigint, cols: StateColumns): Tombstone {
  const base: Record<ColumnName, Counter> = {};
  for (const c of cols.gcounters) base[c] = baseCounter(r.delBase, cols.component(c, "p"));
  for (const c of cols.pncounters)
    base[c] = pncounterFrom(
      baseCounter(r.delBase, cols.component(c, "p")),
      baseCounter(r.delBase, cols.component(c, "n")),
    );
  return { stamp, region: r.replica, base };
}

/** Joins state rows (one key, distinct replicas) back into the row they hold. */
export function rowOfStateRows(rows: readonly StateRow[], cols: StateColumns): RowState {
  const counters: Record<ColumnName, Counter> = {};
  for (const c of cols.gcounters) counters[c] = counterOf(rows, cols.component(c, "p"));
  for (const c of cols.pncounters)
    counters[c] = pncounterFrom(
      counterOf(rows, cols.component(c, "p")),
      counterOf(rows, cols.component(c, "n")),
    );
  const registers: Record<ColumnName, RegisterColumn> = {};
  for (const c of cols.registers) {
    const col: Record<string, LwwRegister> = {};
    for (const r of rows) {
      const e = r.registers.get(c);
      if (e !== undefined) col[r.replica] = { value: e.v, stamp: e.t, region: r.replica };
    }
    registers[c] = col;
  }
  let inserted: Stamp | undefined;
  let deleted: Tombstone | undefined;
  for (const r of rows) {
    if (r.ins !== null) inserted = maxStamp(inserted, { stamp: r.ins, region: r.replica });
    if (r.del !== null) deleted = maxStamp(deleted, tombstoneOf(r, r.del, cols));
  }
  return withStamps({ counters, registers }, inserted, deleted);
}

/**
 * The row a key's state rows show, lifetimes applied as the visible view applies them: killed
 * shares give no counts and no register values (their inserts and deletes still decide whether
 * the row is alive), and the winning tombstone's base is subtracted only from shares born at or
 * before it.
 */
export function shownRowOfStateRows(rows: readonly StateRow[], cols: StateColumns): RowState {
  const l = lifetimesOf(rows);
  // Base entries of shares born after the delete are not subtracted from them.
  const unseen = new Set(rows.filter((r) => !baseApplies(r.born, l)).map((r) => r.replica));
  const withBases = rows.map((r) => {
    if (r.delBase === null || unseen.size === 0) return r;
    const base = Object.entries(r.delBase as Record<string, unknown>).filter(
      ([replica]) => !unseen.has(replica),
    );
    return { ...r, delBase: Object.fromEntries(base) };
  });
  const all = rowOfStateRows(withBases, cols);
  const live = rowOfStateRows(
    withBases.filter((r) => !isKilled(r.born, l)),
    cols,
  );
  return withStamps(
    { counters: live.counters, registers: live.registers },
    all.inserted,
    all.deleted,
  );
}
