// The hot-path twin of valuesToSlice: writes a row's contract slice as JSON straight from its
// values into a byte arena, without building the RowSlice objects or any string. The bytes are
// exactly the UTF-8 of JSON.stringify(valuesToSlice(codec, values)) (same keys, order and
// escapes; tested), so envelopes are cut to size exactly and assembled by copying bytes.
import { JsonArena } from "./json-arena.ts";
import type { ShipRow } from "./sink.ts";
import type { Values } from "./pgoutput.ts";
import { deleteBase } from "./slice.ts";
import { DecodeError } from "./tuple.ts";
import type { TableCodec } from "./tuple.ts";

/** One arena for every writer: rows are written synchronously, one at a time. */
const arena = new JsonArena();

const q = (s: string): string => JSON.stringify(s);
const NULL = Buffer.from("null");

interface Part {
  /** Constant JSON written before the value (UTF-8). */
  readonly text: Uint8Array;
  /** The value's position in `Values` (-1: none). */
  readonly index: number;
}

const part = (text: string, index: number): Part => ({ text: Buffer.from(text), index });

/** Writes ShipRows of one table's rows; one per codec (see rowWriter). */
export type RowWriter = (values: Values, rowKey: string) => ShipRow;

const writers = new WeakMap<TableCodec, RowWriter>();

export function rowWriter(codec: TableCodec): RowWriter {
  let writer = writers.get(codec);
  if (writer === undefined) {
    writer = compile(codec);
    writers.set(codec, writer);
  }
  return writer;
}

function compile(codec: TableCodec): RowWriter {
  const { layout } = codec;
  const at = (column: string): number => codec.indexOf(column);
  const keys = codec.keyOrder.map((k, i) =>
    part(`${i === 0 ? `{"table":${q(codec.table)},"key":{` : ","}${q(k)}:`, at(k)),
  );
  const zone = part(
    `${keys.length === 0 ? `{"table":${q(codec.table)},"key":{` : ""}},"zone":`,
    at(layout.zone),
  );
  const counters = layout.counters
    .flatMap((c) => (c.n === undefined ? [c.p] : [c.p, c.n]))
    .map((c, i) => part(`${i === 0 ? ',"counters":{' : ","}${q(c)}:`, at(c)));
  const registersOpen = part(`${counters.length === 0 ? ',"counters":{' : ""}},"registers":{`, -1);
  const registers = layout.registers.map((r) => ({
    open: part(`${q(r.column)}:{"v":`, at(r.value)),
    stamp: part(`,"t":`, at(r.stamp)),
  }));
  const comma = part(",", -1);
  const close = part("}", -1);
  const ins = part(`},"ins":`, at(layout.insertStamp));
  const del = part(`,"del":`, at(layout.deleteStamp));
  const delBase = part(`,"delBase":`, at(layout.deleteBase));

  const value = (values: Values, p: Part): string | null => {
    const v = values[p.index];
    if (v === undefined)
      throw new DecodeError(
        `column '${codec.columns[p.index] ?? p.index}' has no value (unchanged TOAST not resolved)`,
      );
    return v;
  };
  const text = (p: Part): void => {
    arena.raw(p.text);
  };
  const nullable = (v: string | null): void => {
    if (v === null) arena.raw(NULL);
    else arena.string(v);
  };
  const write = (values: Values): string | null => {
    for (let i = 0; i < keys.length; i++) {
      const p = keys[i] as Part;
      const v = values[p.index];
      if (typeof v !== "string")
        throw new DecodeError(
          `key column '${codec.keyOrder[i] ?? i}' is ${v === null ? "NULL" : "missing"}`,
        );
      text(p);
      arena.string(v);
    }
    const zoneValue = value(values, zone);
    text(zone);
    nullable(zoneValue);
    for (const p of counters) {
      const v = value(values, p);
      if (v === null)
        throw new DecodeError(`counter component '${codec.columns[p.index] ?? p.index}' is NULL`);
      text(p);
      arena.string(v);
    }
    text(registersOpen);
    let first = true;
    for (const r of registers) {
      const t = value(values, r.stamp);
      if (t === null) continue;
      if (!first) text(comma);
      first = false;
      text(r.open);
      nullable(value(values, r.open));
      text(r.stamp);
      arena.string(t);
      text(close);
    }
    text(ins);
    nullable(value(values, ins));
    text(del);
    nullable(value(values, del));
    text(delBase);
    const baseText = value(values, delBase);
    if (baseText === null) arena.raw(NULL);
    else arena.json(JSON.stringify(deleteBase(baseText)));
    text(close);
    return zoneValue;
  };
  return (values, rowKey) => {
    arena.begin();
    try {
      const zoneValue = write(values);
      return {
        rowKey,
        zone: zoneValue,
        text: arena.chunk,
        start: arena.rowStart,
        end: arena.position,
      };
    } catch (error) {
      arena.abort();
      throw error;
    }
  };
}
