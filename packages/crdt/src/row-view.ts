import { visibleCounterValue } from "./counter.ts";
import { isRegionId } from "./ids.ts";
import type { ColumnName, RegionId } from "./ids.ts";
import type { RegisterValue } from "./lww-register.ts";
import { latestEntry, resolveRegisterColumn } from "./register-column.ts";
import type { RegisterColumn } from "./register-column.ts";
import { isRowPresent } from "./row.ts";
import type { RowState } from "./row.ts";

export type RegisterPolicy = "lww" | "home-wins";

export type RowPolicy = {
  /** Register column holding the row's home region id. */
  readonly homeColumn?: ColumnName;
  /** `home-wins`: writes from the home region outrank others, order (isHome, stamp, region). */
  readonly registerPolicy?: RegisterPolicy;
};

/** What a reader of the table sees: resolved values, never CRDT internals. */
export type RowView =
  | { readonly present: false }
  | {
      readonly present: true;
      readonly home: RegionId | null;
      readonly counters: Readonly<Record<ColumnName, bigint>>;
      readonly registers: Readonly<Record<ColumnName, RegisterValue>>;
    };

/**
 * The home region: the home column resolved by plain LWW (never by home-wins, which would be
 * circular). A value that is not a valid region id means "no home".
 */
export function homeOf(row: RowState, policy: RowPolicy): RegionId | null {
  if (policy.homeColumn === undefined) return null;
  const col: RegisterColumn | undefined = row.registers[policy.homeColumn];
  const value = col === undefined ? undefined : latestEntry(col)?.value;
  return isRegionId(value) ? value : null;
}

/**
 * Resolves a row state into its visible values. A pure function of the merged state, so every
 * region that holds the same state shows the same row, whatever the order of merges.
 * @throws CounterKindMismatchError when a tombstone's base disagrees with a counter's type.
 */
export function viewRow(row: RowState, policy: RowPolicy = {}): RowView {
  if (!isRowPresent(row)) return { present: false };
  const home = homeOf(row, policy);
  const winnerHome = policy.registerPolicy === "home-wins" && home !== null ? home : undefined;
  const base = row.deleted?.base;
  const counters: Record<ColumnName, bigint> = {};
  for (const column in row.counters) {
    const counter = row.counters[column];
    if (counter !== undefined)
      counters[column] = visibleCounterValue(column, counter, base?.[column]);
  }
  const registers: Record<ColumnName, RegisterValue> = {};
  for (const column in row.registers) {
    const col = row.registers[column];
    const winner =
      col === undefined
        ? undefined
        : resolveRegisterColumn(col, column === policy.homeColumn ? undefined : winnerHome);
    if (winner !== undefined) registers[column] = winner.value;
  }
  return { present: true, home, counters, registers };
}
