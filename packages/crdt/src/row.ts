import { leqCounter, mergeCounter } from "./counter.ts";
import { emptyGCounter } from "./gcounter.ts";
import { emptyPNCounter } from "./pncounter.ts";
import type { Counter } from "./counter.ts";
import type { ColumnName } from "./ids.ts";
import { leqRegisterColumn, mergeRegisterColumn } from "./register-column.ts";
import type { RegisterColumn } from "./register-column.ts";
import { compareStamp, leqStamp, maxStamp } from "./stamp.ts";
import type { Stamp } from "./stamp.ts";

/** A delete: its stamp, and the counters as the deleting region saw them (`base`). */
export type Tombstone = Stamp & { readonly base: Readonly<Record<ColumnName, Counter>> };

/**
 * The replicated state of one row. Every field is a semilattice, so the row is one too:
 * counters merge per component, register columns per region, insert and delete stamps by max.
 * A row delta has the same shape (see delta.ts).
 */
export type RowState = {
  readonly counters: Readonly<Record<ColumnName, Counter>>;
  readonly registers: Readonly<Record<ColumnName, RegisterColumn>>;
  /** Greatest insert seen. */
  readonly inserted?: Stamp;
  /** Greatest delete seen; the greater tombstone carries its own base. */
  readonly deleted?: Tombstone;
};

const EMPTY_ROW: RowState = Object.freeze({
  counters: Object.freeze({}),
  registers: Object.freeze({}),
});

export const emptyRow = (): RowState => EMPTY_ROW;

/**
 * Present iff the greatest insert is greater than the greatest delete. Updates never revive a
 * deleted row (remove-wins over updates); only an insert stamped after the tombstone does.
 */
export const isRowPresent = (row: RowState): boolean =>
  row.inserted !== undefined &&
  (row.deleted === undefined || compareStamp(row.inserted, row.deleted) > 0);

function mergeRecord<T>(
  a: Readonly<Record<ColumnName, T>>,
  b: Readonly<Record<ColumnName, T>>,
  merge: (column: ColumnName, x: T, y: T) => T,
): Readonly<Record<ColumnName, T>> {
  let out: Record<ColumnName, T> | undefined;
  for (const column in b) {
    const theirs = b[column] as T;
    const ours = (out ?? a)[column];
    const merged = ours === undefined ? theirs : merge(column, ours, theirs);
    if (merged !== ours) {
      out ??= { ...a };
      out[column] = merged;
    }
  }
  return out ?? a;
}

const mergeRegisters = (
  _column: ColumnName,
  x: RegisterColumn,
  y: RegisterColumn,
): RegisterColumn => mergeRegisterColumn(x, y);

/**
 * Join of two row states. Returns `a` itself when nothing in `b` is new.
 * @throws CounterKindMismatchError when the two sides disagree on a counter column's type.
 */
export function mergeRow(a: RowState, b: RowState): RowState {
  const counters = mergeRecord(a.counters, b.counters, mergeCounter);
  const registers = mergeRecord(a.registers, b.registers, mergeRegisters);
  const inserted = maxStamp(a.inserted, b.inserted);
  const deleted = maxStamp(a.deleted, b.deleted);
  if (
    counters === a.counters &&
    registers === a.registers &&
    inserted === a.inserted &&
    deleted === a.deleted
  )
    return a;
  return withStamps({ counters, registers }, inserted, deleted);
}

/** Builds a row, leaving absent stamps out (never `inserted: undefined`). */
export function withStamps(
  body: Pick<RowState, "counters" | "registers">,
  inserted: Stamp | undefined,
  deleted: Tombstone | undefined,
): RowState {
  const row: { -readonly [K in keyof RowState]: RowState[K] } = {
    counters: body.counters,
    registers: body.registers,
  };
  if (inserted !== undefined) row.inserted = inserted;
  if (deleted !== undefined) row.deleted = deleted;
  return row;
}

// A missing column is the bottom of its type: an empty counter or an empty register column.
function leqRecord<T>(
  a: Readonly<Record<ColumnName, T>>,
  b: Readonly<Record<ColumnName, T>>,
  leq: (c: ColumnName, x: T, y: T | undefined) => boolean,
): boolean {
  for (const column in a) if (!leq(column, a[column] as T, b[column])) return false;
  return true;
}

const leqCounterOrBottom = (column: ColumnName, x: Counter, y: Counter | undefined): boolean =>
  leqCounter(column, x, y ?? (x.type === "gcounter" ? emptyGCounter() : emptyPNCounter()));

const leqRegistersOrBottom = (
  _c: ColumnName,
  x: RegisterColumn,
  y: RegisterColumn | undefined,
): boolean => leqRegisterColumn(x, y ?? {});

/** The semilattice order: a <= b iff merge(a, b) equals b. */
export function leqRow(a: RowState, b: RowState): boolean {
  return (
    leqRecord(a.counters, b.counters, leqCounterOrBottom) &&
    leqRecord(a.registers, b.registers, leqRegistersOrBottom) &&
    leqStamp(a.inserted, b.inserted) &&
    leqStamp(a.deleted, b.deleted)
  );
}

/** Equality of the information two states hold (an empty column equals a missing one). */
export const equalRow = (a: RowState, b: RowState): boolean => leqRow(a, b) && leqRow(b, a);
