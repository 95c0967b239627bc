import { ENGINE_SCHEMA, stateColumnNames } from "@georep/schema";
import type { StateLayout } from "@georep/schema";
import type { Relation, TuplePlan } from "./pgoutput.ts";
import type { Values } from "./values.ts";
import type { TupleSpans } from "./tuple-spans.ts";

/**
 * A state-table row by column name, all values in PostgreSQL text form: `null` is SQL NULL,
 * `undefined` is an unchanged TOAST value the server did not send. The two are never confused:
 * an unchanged value is re-read or taken from an earlier tuple, never NULL. On the hot path the
 * same row travels as `Values`, in the order of `TableCodec.columns`.
 */
export type Tuple = Readonly<Record<string, string | null | undefined>>;

/** Raised when a state tuple lacks a column the layout needs; the reader restarts from durable. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
}

export interface TableCodec {
  readonly layout: StateLayout;
  /** "schema.table" of the user table, as in RowSlice.table. */
  readonly table: string;
  readonly keyOrder: readonly string[];
  /** Columns whose value is needed to build a slice: the order of `Values`. */
  readonly columns: readonly string[];
  /** Position of a column in `columns` (-1 when not needed). */
  indexOf(column: string): number;
  /** Stable coalescing / partitioning key: contract rowKey(table, key, keyOrder). @throws DecodeError */
  keyOf(values: Values): string;
  /** keyOf of a tuple still in its frame; undefined when a key column is NULL or unknown. */
  keyOfSpans(spans: TupleSpans): string | undefined;
  /** Key column values, in keyOrder. @throws DecodeError when one is NULL or unknown. */
  keyValues(values: Values): string[];
  toValues(tuple: Tuple): Values;
  toTuple(values: Values): Tuple;
}

export function tableCodec(layout: StateLayout): TableCodec {
  const table = `${layout.spec.schema}.${layout.spec.name}`;
  const keyOrder = layout.key.map((k) => k.name);
  const columns = stateColumnNames(layout);
  const index = new Map(columns.map((c, i) => [c, i]));
  const keyIndex = keyOrder.map((k) => index.get(k) ?? -1);
  const prefix = `${table}|`;
  const keyValues = (values: Values): string[] => {
    const key: string[] = [];
    for (let i = 0; i < keyIndex.length; i++) {
      const v = values[keyIndex[i] ?? -1];
      if (typeof v !== "string")
        throw new DecodeError(
          `key column '${keyOrder[i] ?? i}' is ${v === null ? "NULL" : "missing"}`,
        );
      key.push(v);
    }
    return key;
  };
  // keyOfSpans writes the key's text into `scratch` and decodes it once: one flat string, no
  // concatenation. Printable ASCII without a quote or backslash needs no JSON escape, so the
  // bytes are JSON.stringify's; anything else takes JSON.stringify itself.
  const head = Buffer.from(`${prefix}[`, "latin1");
  const plainPrefix = /^[\x20-\x7e]*$/.test(prefix);
  let scratch = Buffer.allocUnsafe(256);
  const escapedKey = (spans: TupleSpans): string =>
    prefix + JSON.stringify(keyIndex.map((k) => spans.text(k)));
  const keyOfSpans = (spans: TupleSpans): string | undefined => {
    const { frame, start, end } = spans;
    let size = head.length + 1;
    for (const k of keyIndex) {
      const s = start[k] ?? -1;
      if (s < 0) return undefined;
      size += (end[k] ?? s) - s + 3;
    }
    if (!plainPrefix) return escapedKey(spans);
    if (size > scratch.length) scratch = Buffer.allocUnsafe(2 * size);
    const out = scratch;
    out.set(head, 0);
    let at = head.length;
    for (let i = 0; i < keyIndex.length; i++) {
      const k = keyIndex[i] ?? -1;
      if (i > 0) out[at++] = 0x2c; // ,
      out[at++] = 0x22; // "
      for (let j = start[k] ?? 0, e = end[k] ?? 0; j < e; j++) {
        const c = frame[j] ?? 0;
        if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return escapedKey(spans);
        out[at++] = c;
      }
      out[at++] = 0x22;
    }
    out[at++] = 0x5d; // ]
    return out.toString("latin1", 0, at);
  };
  return {
    layout,
    table,
    keyOrder,
    columns,
    indexOf: (column) => index.get(column) ?? -1,
    // Same text as contract rowKey(): `${table}|${JSON.stringify(key values in keyOrder)}`.
    keyOf: (values) => prefix + JSON.stringify(keyValues(values)),
    keyOfSpans,
    keyValues,
    toValues: (tuple) => columns.map((c) => tuple[c]),
    toTuple: (values) => Object.fromEntries(columns.map((c, i) => [c, values[i]])),
  };
}

/** Columns of the row still unknown (unchanged TOAST never seen in full). */
export function unknownColumns(codec: TableCodec, values: Values): string[] {
  const out: string[] = [];
  for (let i = 0; i < codec.columns.length; i++)
    if (values[i] === undefined) out.push(codec.columns[i] ?? String(i));
  return out;
}

/** What the reader does with a relation's changes, with the decoding plan of its tuples. */
export type RelationPlan =
  | (TuplePlan & { readonly kind: "state"; readonly codec: TableCodec })
  | (TuplePlan & { readonly kind: "heartbeat" });

/** Relation name (schema, table) -> codec, plus the heartbeat table. */
export type RelationKind =
  | { readonly kind: "state"; readonly codec: TableCodec }
  | { readonly kind: "heartbeat" }
  | { readonly kind: "other" };

export function relationIndex(
  codecs: readonly TableCodec[],
): (schema: string, name: string) => RelationKind {
  const byName = new Map(
    codecs.map((c) => [c.layout.stateTableName, { kind: "state" as const, codec: c }]),
  );
  return (schema, name) => {
    if (schema !== ENGINE_SCHEMA) return { kind: "other" };
    if (name === "heartbeat") return { kind: "heartbeat" };
    return byName.get(name) ?? { kind: "other" };
  };
}

/** Heartbeat values: [region, stamp, stable, applied]. */
export const HEARTBEAT_COLUMNS = ["region", "stamp", "stable", "applied"] as const;

/** The decoding plan of a relation: state tables and the heartbeat decode the columns they need, others nothing. */
export function relationPlanner(
  codecs: readonly TableCodec[],
): (relation: Relation) => RelationPlan | undefined {
  const classify = relationIndex(codecs);
  return (relation) => {
    const kind = classify(relation.schema, relation.name);
    const slots = (indexOf: (column: string) => number): Int32Array =>
      Int32Array.from(relation.columns, (c) => indexOf(c.name));
    switch (kind.kind) {
      case "state":
        return {
          kind: "state",
          codec: kind.codec,
          width: kind.codec.columns.length,
          slots: slots((c) => kind.codec.indexOf(c)),
        };
      case "heartbeat":
        return {
          kind: "heartbeat",
          width: HEARTBEAT_COLUMNS.length,
          slots: slots((c) => (HEARTBEAT_COLUMNS as readonly string[]).indexOf(c)),
        };
      case "other":
        return undefined;
    }
  };
}
