import { PgoutputDecoder } from "../src/postgres/pgoutput.ts";
import type { Values } from "../src/postgres/values.ts";
import { relationPlanner } from "../src/postgres/tuple.ts";
import type { RelationPlan } from "../src/postgres/tuple.ts";
import type { TupleSpans } from "../src/postgres/tuple-spans.ts";
import { codec } from "./fixtures.ts";
import { Bytes, UNCHANGED, relationFrame, xlogData } from "./pgoutput-bytes.ts";
import type { TupleValue } from "./pgoutput-bytes.ts";

const REL = 16_500;
/** The state table as pgoutput describes it: our columns, in another order, plus one we skip. */
const columns = ["skipped", ...[...codec.columns].reverse()];

/** An Insert of `values` (codec.columns order; undefined = unchanged TOAST), after a 25-byte XLogData header. */
export function insertFrame(values: Values): Buffer {
  const tuple = columns.map((c): TupleValue => {
    const v = c === "skipped" ? "x" : values[codec.indexOf(c)];
    return v === undefined ? UNCHANGED : v;
  });
  return xlogData(new Bytes().char("I").i32(REL).char("N").tuple(tuple).build());
}

/** A decoder that knows the state table, and the tuple of an Insert frame it decodes. */
export function stateDecoder(): (frame: Buffer) => TupleSpans {
  const decoder = new PgoutputDecoder<RelationPlan>(relationPlanner([codec]));
  decoder.decode(relationFrame(REL, "georep", codec.layout.stateTableName, columns));
  return (frame) => {
    const m = decoder.decode(frame, 25);
    if (m.tag !== "insert" || m.tuple === undefined) throw new Error("not a planned insert");
    return m.tuple;
  };
}
