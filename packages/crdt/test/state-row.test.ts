import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { STATE_ROW_MERGE, equalRow, mergeRow, mergeStateRow } from "../src/index.ts";
import type { RowState, StateRow } from "../src/index.ts";
import {
  G_COLUMNS,
  PN_COLUMNS,
  REGISTER_COLUMNS,
  checkProperty,
  rowArb,
  rowOfStateRows,
  show,
  stateRowsOfRow,
  withTextRegisters,
} from "../src/testing/index.ts";
import type { StateColumns } from "../src/testing/index.ts";

const cols: StateColumns = {
  gcounters: G_COLUMNS,
  pncounters: PN_COLUMNS,
  registers: REGISTER_COLUMNS,
  component: (column, half) => `${column}__${half}`,
};

const copy = (r: StateRow): StateRow => ({
  ...r,
  counters: new Map(r.counters),
  registers: new Map(r.registers),
});

/** Folds state rows per replica with the state-row merge, in the order given. */
function foldStateRows(rows: readonly StateRow[]): StateRow[] {
  const byReplica = new Map<string, StateRow>();
  for (const r of rows) {
    const into = byReplica.get(r.replica);
    if (into === undefined) byReplica.set(r.replica, copy(r));
    else mergeStateRow(into, r);
  }
  return [...byReplica.values()];
}

describe("state rows: the form every region stores a row in", () => {
  it("round-trips a row through its state rows", () => {
    checkProperty(
      "state rows: the form every region stores a row in round-trips a row through its state rows",
      fc.property(rowArb, (row) => {
        const text = withTextRegisters(row);
        return equalRow(rowOfStateRows(stateRowsOfRow(text, cols), cols), text);
      }),
    );
  });

  it("merges state rows as the core merges rows, in any order and with duplicates", () => {
    const name =
      "state rows: the form every region stores a row in merges state rows as the core merges rows, in any order and with duplicates";
    checkProperty(
      name,
      fc.property(
        fc.array(rowArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (rows, order) => {
          const text = rows.map(withTextRegisters);
          const expected = text.reduce<RowState>((a, b) => mergeRow(a, b), text[0] as RowState);
          const pieces = text.flatMap((r) => stateRowsOfRow(r, cols));
          // A shuffled delivery with re-deliveries: every piece at least once.
          const delivered = [...pieces];
          for (const n of order)
            delivered.splice(n % (delivered.length + 1), 0, pieces[n % pieces.length] as StateRow);
          const merged = rowOfStateRows(foldStateRows(delivered.reverse()), cols);
          if (!equalRow(merged, expected))
            throw new Error(`state-row merge ${show(merged)} != row merge ${show(expected)}`);
          return true;
        },
      ),
    );
  });

  it("keeps the zone of the newest side, and the greater zone on a tie, whatever the order", () => {
    const row = (zone: string | null, ins: bigint | null): StateRow => ({
      replica: "us-east",
      born: 0n,
      zone,
      counters: new Map(),
      registers: new Map(),
      ins,
      del: null,
      delBase: null,
    });
    for (const [a, b, want] of [
      [row("eu", 5n), row("us", 7n), "us"],
      [row("us", 7n), row("eu", 5n), "us"],
      [row("eu", 7n), row("us", 7n), "us"],
      [row("us", 7n), row("eu", 7n), "us"],
      [row(null, 7n), row("eu", 7n), "eu"],
      [row("eu", 7n), row(null, 7n), "eu"],
    ] as const) {
      const into = copy(a);
      mergeStateRow(into, b);
      expect(into.zone).toBe(want);
    }
    expect(STATE_ROW_MERGE.zone).toBe("follows-newest");
  });
});
