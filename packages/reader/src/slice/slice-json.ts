// The hot-path twin of valuesToSlice: writes a row's contract slice as JSON straight from its
// values, or from the tuple's bytes in the replication frame, into a byte arena, without building
// the RowSlice objects (nor, from a frame, any string for printable-ASCII values). The bytes are
// exactly the UTF-8 of JSON.stringify(valuesToSlice(codec, values)) (same keys, order and
// escapes; tested), so envelopes are cut to size exactly and assembled by copying bytes.
import { JsonArena } from "./json-arena.ts";
import type { ShipRow } from "../sink.ts";
import type { Values } from "../postgres/values.ts";
import { deleteBase } from "./slice.ts";
import { DecodeError } from "../postgres/tuple.ts";
import type { TableCodec } from "../postgres/tuple.ts";
import { NULL_SPAN, TupleSpans, UNKNOWN_SPAN } from "../postgres/tuple-spans.ts";
import {
  DELETE_BASE_HOLE,
  MAX_TEMPLATES,
  MAX_TEMPLATE_WIDTH,
  PLAIN_HOLE,
  TemplateRecorder,
} from "./row-template.ts";
import type { RowTemplate } from "./row-template.ts";

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

/** A row written as JSON as soon as it was decoded (a complete tuple): shipped as it is. */
export interface WrittenRow extends ShipRow {
  readonly kind: "written";
  readonly codec: TableCodec;
}

/**
 * Writes a complete tuple straight from its frame; undefined when the values path must take it
 * (it reports what is wrong with the row at the cut).
 */
export type FrameRowWriter = (tuple: TupleSpans) => WrittenRow | undefined;

/** Where a row's values are read from: decoded Values, or a tuple still in its frame. */
interface Source {
  /** TEXT, NULL or UNKNOWN (unchanged TOAST not resolved). */
  state(index: number): number;
  /** Writes a TEXT value as a JSON string literal. */
  write(index: number): void;
  /** A TEXT value as a string (the zone, which the ShipRow carries). */
  text(index: number): string;
  /** Writes a TEXT delete base: its JSON normalized by deleteBase(). @throws DecodeError */
  deleteBase(index: number): void;
}
const TEXT = 0;
const NULL_VALUE = 1;
const UNKNOWN = 2;

/** Rows are written one at a time, so one source of each kind serves every writer. */
const fromValues = new (class implements Source {
  values: Values = [];
  state(i: number): number {
    const v = this.values[i];
    return v === undefined ? UNKNOWN : v === null ? NULL_VALUE : TEXT;
  }
  write(i: number): void {
    arena.string(this.values[i] ?? "");
  }
  text(i: number): string {
    return this.values[i] ?? "";
  }
  deleteBase(i: number): void {
    arena.json(JSON.stringify(deleteBase(this.text(i))));
  }
})();
const fromFrame = new (class implements Source {
  tuple: TupleSpans = new TupleSpans(0);
  state(i: number): number {
    const s = this.tuple.start[i] ?? UNKNOWN_SPAN;
    return s >= 0 ? TEXT : s === NULL_SPAN ? NULL_VALUE : UNKNOWN;
  }
  write(i: number): void {
    const t = this.tuple;
    arena.utf8(t.frame, t.start[i] ?? 0, t.end[i] ?? 0);
  }
  text(i: number): string {
    return this.tuple.text(i) ?? "";
  }
  deleteBase(i: number): void {
    arena.json(JSON.stringify(deleteBase(this.text(i))));
  }
})();
/** A row of one shape (`nulls`: one bit per NULL slot) written without its values, to record its template. */
const fromShape = new (class implements Source {
  nulls = 0;
  readonly recorder = new TemplateRecorder();
  state(i: number): number {
    return (this.nulls >>> i) & 1 ? NULL_VALUE : TEXT;
  }
  write(i: number): void {
    this.recorder.hole(arena.position - arena.rowStart, i, PLAIN_HOLE);
  }
  text(): string {
    return "";
  }
  deleteBase(i: number): void {
    this.recorder.hole(arena.position - arena.rowStart, i, DELETE_BASE_HOLE);
  }
})();

interface Compiled {
  readonly values: RowWriter;
  readonly frame: FrameRowWriter;
}

const writers = new WeakMap<TableCodec, Compiled>();

function compiled(codec: TableCodec): Compiled {
  let writer = writers.get(codec);
  if (writer === undefined) {
    writer = compile(codec);
    writers.set(codec, writer);
  }
  return writer;
}

/** The writer of a table's rows from their values. */
export function rowWriter(codec: TableCodec): RowWriter {
  return compiled(codec).values;
}

/**
 * The writer of a table's complete tuples straight from their frame: same bytes as rowWriter
 * over the tuple's values, without making a string of any printable-ASCII value.
 */
export function frameRowWriter(codec: TableCodec): FrameRowWriter {
  return compiled(codec).frame;
}

function compile(codec: TableCodec): Compiled {
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
  const born = part(`,"born":`, at(layout.born));

  /** The value's state; @throws DecodeError when it is unknown. */
  const known = (src: Source, p: Part): number => {
    const state = src.state(p.index);
    if (state === UNKNOWN)
      throw new DecodeError(
        `column '${codec.columns[p.index] ?? p.index}' has no value (unchanged TOAST not resolved)`,
      );
    return state;
  };
  const text = (p: Part): void => {
    arena.raw(p.text);
  };
  const nullable = (src: Source, p: Part): void => {
    if (known(src, p) === NULL_VALUE) arena.raw(NULL);
    else src.write(p.index);
  };
  /** Writes the row; returns its zone. */
  const write = (src: Source): string | null => {
    for (let i = 0; i < keys.length; i++) {
      const p = keys[i] as Part;
      const state = src.state(p.index);
      if (state !== TEXT)
        throw new DecodeError(
          `key column '${codec.keyOrder[i] ?? i}' is ${state === NULL_VALUE ? "NULL" : "missing"}`,
        );
      text(p);
      src.write(p.index);
    }
    const zoneValue = known(src, zone) === NULL_VALUE ? null : src.text(zone.index);
    text(zone);
    nullable(src, zone);
    for (const p of counters) {
      if (known(src, p) === NULL_VALUE)
        throw new DecodeError(`counter component '${codec.columns[p.index] ?? p.index}' is NULL`);
      text(p);
      src.write(p.index);
    }
    text(registersOpen);
    let first = true;
    for (const r of registers) {
      if (known(src, r.stamp) === NULL_VALUE) continue;
      known(src, r.open);
      if (!first) text(comma);
      first = false;
      text(r.open);
      nullable(src, r.open);
      text(r.stamp);
      src.write(r.stamp.index);
      text(close);
    }
    text(ins);
    nullable(src, ins);
    text(del);
    nullable(src, del);
    text(delBase);
    if (known(src, delBase) === NULL_VALUE) arena.raw(NULL);
    else src.deleteBase(delBase.index);
    if (known(src, born) === NULL_VALUE) throw new DecodeError(`born__ is NULL`);
    text(born);
    src.write(born.index);
    text(close);
    return zoneValue;
  };
  const writers: Compiled = {
    values: (values, rowKey) => {
      fromValues.values = values;
      arena.begin();
      try {
        const zoneValue = write(fromValues);
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
    },
    frame: (tuple) => {
      const rowKey = codec.keyOfSpans(tuple);
      if (rowKey === undefined) return undefined;
      const template = templateOf(tuple);
      if (template === null) return undefined;
      fromFrame.tuple = tuple;
      arena.begin();
      try {
        if (template === undefined) write(fromFrame);
        else writeTemplate(template, tuple);
        const z = tuple.start[zone.index] ?? NULL_SPAN;
        return {
          kind: "written",
          codec,
          rowKey,
          zone: z === NULL_SPAN ? null : fromFrame.text(zone.index),
          text: arena.chunk,
          start: arena.rowStart,
          end: arena.position,
        };
      } catch (error) {
        arena.abort();
        if (error instanceof DecodeError) return undefined;
        throw error;
      }
    },
  };

  // Templates per shape; null: rows of that shape cannot be written (a NULL key or counter),
  // the values path reports them at the cut. Bounded: past MAX_TEMPLATES shapes, new shapes
  // are written by walking the layout.
  const templates = new Map<number, RowTemplate | null>();
  let lastShape = -1;
  let lastTemplate: RowTemplate | null = null;
  /** The template of a complete tuple's shape; undefined when the table is too wide for templates. */
  const templateOf = (tuple: TupleSpans): RowTemplate | null | undefined => {
    if (tuple.width > MAX_TEMPLATE_WIDTH) return undefined;
    let nulls = 0;
    for (let i = 0; i < tuple.width; i++) if (tuple.start[i] === NULL_SPAN) nulls |= 1 << i;
    if (nulls === lastShape) return lastTemplate;
    let template = templates.get(nulls);
    if (template === undefined) {
      if (templates.size >= MAX_TEMPLATES) return undefined;
      template = record(nulls);
      templates.set(nulls, template);
    }
    lastShape = nulls;
    lastTemplate = template;
    return template;
  };
  const record = (nulls: number): RowTemplate | null => {
    fromShape.nulls = nulls;
    fromShape.recorder.clear();
    arena.begin();
    try {
      write(fromShape);
      return fromShape.recorder.take(arena.chunk.subarray(arena.rowStart, arena.position));
    } catch (error) {
      if (error instanceof DecodeError) return null;
      throw error;
    } finally {
      arena.abort();
    }
  };
  const writeTemplate = (t: RowTemplate, tuple: TupleSpans): void => {
    const { text, slot, kind } = t;
    for (let h = 0; h < slot.length; h++) {
      arena.raw(text[h] as Buffer);
      const i = slot[h] ?? 0;
      if (kind[h] === DELETE_BASE_HOLE) fromFrame.deleteBase(i);
      else arena.utf8(tuple.frame, tuple.start[i] ?? 0, tuple.end[i] ?? 0);
    }
    arena.raw(text[slot.length] as Buffer);
  };
  return writers;
}
