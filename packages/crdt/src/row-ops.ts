import { CounterKindMismatchError } from "./errors.ts";
import { emptyGCounter, incrementGCounter } from "./gcounter.ts";
import { stampAfter } from "./hlc.ts";
import type { Hlc } from "./hlc.ts";
import { assertColumnName, assertRegionId } from "./ids.ts";
import type { ColumnName, RegionId } from "./ids.ts";
import type { RegisterValue } from "./lww-register.ts";
import { addPNCounter, emptyPNCounter } from "./pncounter.ts";
import { writeRegisterColumn } from "./register-column.ts";
import { isRowPresent, withStamps } from "./row.ts";
import type { RowState, Tombstone } from "./row.ts";
import { maxStamp } from "./stamp.ts";
import type { Stamp } from "./stamp.ts";

/** Who is writing: the local region and its clock. */
export type LocalContext = { readonly hlc: Hlc; readonly region: RegionId };

/** Greatest insert/delete stamp: a local insert or delete must be stamped above it. */
const lastLifecycleStamp = (row: RowState): bigint | undefined =>
  maxStamp<Stamp>(row.inserted, row.deleted)?.stamp;

/**
 * Local INSERT: stamped above the row's last insert/delete, so it revives a row this region saw
 * deleted; writes every given register column (an insert sets all of its columns).
 * @throws InvalidIdError
 */
export function insertRow(
  row: RowState,
  values: Readonly<Record<ColumnName, RegisterValue>>,
  ctx: LocalContext,
): RowState {
  assertRegionId(ctx.region);
  const inserted = { stamp: stampAfter(ctx.hlc, lastLifecycleStamp(row)), region: ctx.region };
  let next = withStamps(row, inserted, row.deleted);
  for (const [column, value] of Object.entries(values))
    next = writeRowRegister(next, column, value, ctx);
  return next;
}

/**
 * Local DELETE of a present row (deleting an absent row is a no-op, as in SQL). The tombstone
 * records the counters as seen now, so a later re-insert counts from here.
 * @throws InvalidIdError
 */
export function deleteRow(row: RowState, ctx: LocalContext): RowState {
  assertRegionId(ctx.region);
  if (!isRowPresent(row)) return row;
  const deleted: Tombstone = {
    stamp: stampAfter(ctx.hlc, lastLifecycleStamp(row)),
    region: ctx.region,
    base: row.counters,
  };
  return withStamps(row, row.inserted, deleted);
}

/**
 * Adds `by` to the local region's component of a counter column, creating the column with
 * `kind` when absent. G-counters refuse negative amounts; PN-counters take either sign.
 * @throws NegativeIncrementError, NonIntegerIncrementError, CounterKindMismatchError,
 *   BigintRangeError, InvalidIdError
 */
export function incrementRowCounter(
  row: RowState,
  column: ColumnName,
  region: RegionId,
  by: bigint | number,
  kind: "gcounter" | "pncounter" = "gcounter",
): RowState {
  assertColumnName(column);
  const current =
    row.counters[column] ?? (kind === "gcounter" ? emptyGCounter() : emptyPNCounter());
  if (current.type !== kind) throw new CounterKindMismatchError(column, current.type, kind);
  const next =
    current.type === "gcounter"
      ? incrementGCounter(current, region, by)
      : addPNCounter(current, region, by);
  if (next === current && row.counters[column] !== undefined) return row;
  return withStamps(
    { counters: { ...row.counters, [column]: next }, registers: row.registers },
    row.inserted,
    row.deleted,
  );
}

/**
 * Local UPDATE of a register column: stamped above every write the column holds.
 * @throws InvalidIdError
 */
export function writeRowRegister(
  row: RowState,
  column: ColumnName,
  value: RegisterValue,
  ctx: LocalContext,
): RowState {
  assertColumnName(column);
  const col = writeRegisterColumn(row.registers[column] ?? {}, value, ctx.hlc, ctx.region);
  return withStamps(
    { counters: row.counters, registers: { ...row.registers, [column]: col } },
    row.inserted,
    row.deleted,
  );
}
