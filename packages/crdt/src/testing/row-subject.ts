import fc from "fast-check";
import type { RegisterValue } from "../lww-register.ts";
import { deltaRow } from "../delta.ts";
import { emptyRow, equalRow, leqRow, mergeRow } from "../row.ts";
import type { RowState } from "../row.ts";
import { deleteRow, incrementRowCounter, insertRow, writeRowRegister } from "../row-ops.ts";
import { viewRow } from "../row-view.ts";
import type { RowPolicy, RowView } from "../row-view.ts";
import { G_COLUMNS, HOME_COLUMN, PN_COLUMNS, REGISTER_COLUMNS, rowArb } from "./arbitraries.ts";
import type { CrdtLaws, ReplicaContext } from "./crdt-laws.ts";
import { NETWORK_REGIONS } from "./network.ts";
import { amount, registerValueArb } from "./subjects.ts";

// The row, described for the law harness: local operations as SQL would issue them.

export type RowOp =
  | { readonly kind: "insert"; readonly values: Readonly<Record<string, RegisterValue>> }
  | { readonly kind: "delete" }
  | { readonly kind: "increment"; readonly column: string; readonly by: bigint }
  | { readonly kind: "write"; readonly column: string; readonly value: RegisterValue };

const columnValue = (column: string): fc.Arbitrary<RegisterValue> =>
  column === HOME_COLUMN
    ? fc.constantFrom<RegisterValue>(...NETWORK_REGIONS, "not a region!")
    : registerValueArb;

const rowOpArb: fc.Arbitrary<RowOp> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("insert" as const),
      values: fc.record({ label: columnValue("label"), [HOME_COLUMN]: columnValue(HOME_COLUMN) }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "delete" as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("increment" as const),
      column: fc.constantFrom(...G_COLUMNS, ...PN_COLUMNS),
      by: amount,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(...REGISTER_COLUMNS).chain((column) =>
      fc.record({
        kind: fc.constant("write" as const),
        column: fc.constant(column),
        value: columnValue(column),
      }),
    ),
  },
);

function applyRowOp(row: RowState, op: RowOp, ctx: ReplicaContext): RowState {
  switch (op.kind) {
    case "insert":
      return insertRow(row, op.values, ctx);
    case "delete":
      return deleteRow(row, ctx);
    case "increment": {
      const pn = (PN_COLUMNS as readonly string[]).includes(op.column);
      return incrementRowCounter(
        row,
        op.column,
        ctx.region,
        pn && op.by % 2n === 1n ? -op.by : op.by,
        pn ? "pncounter" : "gcounter",
      );
    }
    case "write":
      return writeRowRegister(row, op.column, op.value, ctx);
  }
}

/** Row laws under a register policy; the view (presence, counters, winners) is checked too. */
export const rowLaws = (policy: RowPolicy): CrdtLaws<RowState, RowView, RowOp> => ({
  name: `row (${policy.registerPolicy ?? "lww"})`,
  arbitrary: rowArb,
  empty: emptyRow,
  merge: mergeRow,
  equals: equalRow,
  leq: leqRow,
  view: (row) => viewRow(row, policy),
  delta: deltaRow,
  op: rowOpArb,
  apply: applyRowOp,
});
