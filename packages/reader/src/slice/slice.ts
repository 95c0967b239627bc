import type { RowSlice } from "@georep/contract";
import { componentColumns } from "@georep/schema";
import type { Values } from "../postgres/values.ts";
import { DecodeError } from "../postgres/tuple.ts";
import type { TableCodec, Tuple } from "../postgres/tuple.ts";

/** Column positions a slice is built from, computed once per codec. */
interface SlicePlan {
  readonly components: readonly (readonly [string, number])[];
  readonly registers: readonly (readonly [string, number, number])[];
  readonly zone: number;
  readonly ins: number;
  readonly del: number;
  readonly delBase: number;
  readonly born: number;
}

const plans = new WeakMap<TableCodec, SlicePlan>();

function planOf(codec: TableCodec): SlicePlan {
  let plan = plans.get(codec);
  if (plan === undefined) {
    const { layout } = codec;
    plan = {
      components: componentColumns(layout).map((c) => [c, codec.indexOf(c)] as const),
      registers: layout.registers.map(
        (r) => [r.column, codec.indexOf(r.value), codec.indexOf(r.stamp)] as const,
      ),
      zone: codec.indexOf(layout.zone),
      ins: codec.indexOf(layout.insertStamp),
      del: codec.indexOf(layout.deleteStamp),
      delBase: codec.indexOf(layout.deleteBase),
      born: codec.indexOf(layout.born),
    };
    plans.set(codec, plan);
  }
  return plan;
}

function need(codec: TableCodec, values: Values, i: number): string | null {
  const v = values[i];
  if (v === undefined)
    throw new DecodeError(
      `column '${codec.columns[i] ?? i}' has no value (unchanged TOAST not resolved)`,
    );
  return v;
}

/** `del__base` jsonb text: {region: {component: "decimal"}}; its leaves are JSON strings already. */
export function deleteBase(text: string | null): RowSlice["delBase"] {
  if (text === null) return null;
  let parsed: Record<string, Record<string, unknown>>;
  try {
    parsed = JSON.parse(text) as Record<string, Record<string, unknown>>;
  } catch (cause) {
    throw new DecodeError(`del__base is not valid JSON`, { cause });
  }
  const out: Record<string, Record<string, string>> = {};
  for (const [region, components] of Object.entries(parsed)) {
    const inner: Record<string, string> = {};
    for (const [column, value] of Object.entries(components))
      inner[column] = typeof value === "string" ? value : String(value);
    out[region] = inner;
  }
  return out;
}

/**
 * Builds the contract slice of one complete state row (in `codec.columns` order).
 * @throws DecodeError when a needed column is missing or malformed.
 */
export function valuesToSlice(codec: TableCodec, values: Values): RowSlice {
  const plan = planOf(codec);
  const keyValues = codec.keyValues(values);
  const key: Record<string, string> = {};
  for (let i = 0; i < keyValues.length; i++) key[codec.keyOrder[i] ?? i] = keyValues[i] ?? "";
  const counters: Record<string, string> = {};
  for (const [column, i] of plan.components) {
    const v = need(codec, values, i);
    if (v === null) throw new DecodeError(`counter component '${column}' is NULL`);
    counters[column] = v;
  }
  const registers: Record<string, { v: string | null; t: string }> = {};
  for (const [column, vi, ti] of plan.registers) {
    const t = need(codec, values, ti);
    if (t !== null) registers[column] = { v: need(codec, values, vi), t };
  }
  const delBase = deleteBase(need(codec, values, plan.delBase));
  const born = need(codec, values, plan.born);
  if (born === null) throw new DecodeError(`born__ is NULL`);
  return {
    table: codec.table,
    key,
    zone: need(codec, values, plan.zone),
    counters,
    registers,
    ins: need(codec, values, plan.ins),
    del: need(codec, values, plan.del),
    delBase,
    born,
  };
}

/** valuesToSlice for a row by column name. @throws DecodeError */
export function tupleToSlice(codec: TableCodec, tuple: Tuple): RowSlice {
  return valuesToSlice(codec, codec.toValues(tuple));
}

/**
 * True when a column the slice is built from is still unknown: a key, the zone, a counter
 * component, a register's stamp (or its value when stamped), the insert/delete stamps, the
 * delete base or the birth. Columns the slice does not read may stay unknown.
 */
export function lacksSliceColumn(codec: TableCodec, values: Values): boolean {
  const plan = planOf(codec);
  for (const k of codec.keyOrder) if (values[codec.indexOf(k)] === undefined) return true;
  for (const [, i] of plan.components) if (values[i] === undefined) return true;
  for (const [, vi, ti] of plan.registers) {
    const t = values[ti];
    if (t === undefined || (t !== null && values[vi] === undefined)) return true;
  }
  return [plan.zone, plan.ins, plan.del, plan.delBase, plan.born].some(
    (i) => values[i] === undefined,
  );
}

/**
 * The values a slice was built from, as far as it shows them: what valuesToSlice reads comes
 * back (the delete base as JSON text), so valuesToSlice(codec, sliceToValues(codec, s)) equals s.
 * A register without a stamp keeps an unknown value: the slice never showed it.
 */
export function sliceToValues(codec: TableCodec, slice: RowSlice): Values {
  const plan = planOf(codec);
  const out = new Array<string | null | undefined>(codec.columns.length).fill(undefined);
  for (const k of codec.keyOrder) out[codec.indexOf(k)] = slice.key[k];
  out[plan.zone] = slice.zone;
  for (const [column, i] of plan.components) out[i] = slice.counters[column];
  for (const [column, vi, ti] of plan.registers) {
    const r = slice.registers[column];
    out[ti] = r === undefined ? null : r.t;
    if (r !== undefined) out[vi] = r.v;
  }
  out[plan.ins] = slice.ins;
  out[plan.del] = slice.del;
  out[plan.delBase] = slice.delBase === null ? null : JSON.stringify(slice.delBase);
  return out;
}
