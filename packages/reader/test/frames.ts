import { PgoutputDecoder } from "../src/postgres/pgoutput.ts";
import type { Values } from "../src/postgres/pgoutput.ts";
import { relationPlanner } from "../src/postgres/tuple.ts";
import type { RelationPlan } from "../src/postgres/tuple.ts";
import type { TupleSpans } from "../src/postgres/tuple-spans.ts";
import { codec } from "./fixtures.ts";

const REL = 16_500;
/** The state table as pgoutput describes it: our columns, in another order, plus one we skip. */
const columns = ["skipped", ...[...codec.columns].reverse()];

function int(bytes: number, v: number): Buffer {
  const b = Buffer.alloc(bytes);
  if (bytes === 2) b.writeInt16BE(v);
  else b.writeInt32BE(v);
  return b;
}

function relationFrame(): Buffer {
  const parts = [
    Buffer.from("R"),
    int(4, REL),
    Buffer.from("georep\0"),
    Buffer.from(`${codec.layout.stateTableName}\0`),
    Buffer.from("d"),
    int(2, columns.length),
  ];
  for (const c of columns)
    parts.push(Buffer.from([0]), Buffer.from(`${c}\0`), int(4, 25), int(4, -1));
  return Buffer.concat(parts);
}

/** An Insert of `values` (codec.columns order; undefined = unchanged TOAST), after a 25-byte XLogData header. */
export function insertFrame(values: Values): Buffer {
  const parts = [
    Buffer.alloc(25, 0xff),
    Buffer.from("I"),
    int(4, REL),
    Buffer.from("N"),
    int(2, columns.length),
  ];
  for (const c of columns) {
    const v = c === "skipped" ? "x" : values[codec.indexOf(c)];
    if (v === null) parts.push(Buffer.from("n"));
    else if (v === undefined) parts.push(Buffer.from("u"));
    else {
      const bytes = Buffer.from(v, "utf8");
      parts.push(Buffer.from("t"), int(4, bytes.length), bytes);
    }
  }
  return Buffer.concat(parts);
}

/** A decoder that knows the state table, and the tuple of an Insert frame it decodes. */
export function stateDecoder(): (frame: Buffer) => TupleSpans {
  const decoder = new PgoutputDecoder<RelationPlan>(relationPlanner([codec]));
  decoder.decode(relationFrame());
  return (frame) => {
    const m = decoder.decode(frame, 25);
    if (m.tag !== "insert" || m.tuple === undefined) throw new Error("not a planned insert");
    return m.tuple;
  };
}
