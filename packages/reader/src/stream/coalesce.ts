import type { RowSlice } from "@georep/contract";
import type { Values } from "../postgres/values.ts";
import { sliceToValues } from "../slice/slice.ts";
import type { WrittenRow } from "../slice/slice-json.ts";
import type { TableCodec } from "../postgres/tuple.ts";

/** A row kept as values: it had an unchanged-TOAST column, resolved at the cut. */
export interface ValuesRow {
  readonly kind: "values";
  readonly codec: TableCodec;
  readonly rowKey: string;
  /** Latest values (codec.columns order), merged with earlier ones where the latest was unchanged TOAST. */
  readonly values: Values;
}

/** The latest known state of one (table, key) row within a flush window. */
export type CoalescedRow = WrittenRow | ValuesRow;

/**
 * Keeps one row per (table, key): each state row only grows, so the latest tuple dominates
 * every earlier one. An unchanged-TOAST column (undefined) of a later tuple keeps the earlier
 * tuple's value, which is exactly the current value since the update did not change it.
 */
export interface Coalescer {
  /** A complete tuple, already written: replaces whatever the key held. */
  put(row: WrittenRow): void;
  /** Takes ownership of `values` (the caller must not reuse the array). @throws DecodeError on a NULL/missing key. */
  add(codec: TableCodec, values: Values): void;
  /** Distinct rows held. */
  readonly size: number;
  /** Tuples added since the last drain. */
  readonly changesIn: number;
  drain(): CoalescedRow[];
}

/** The values an earlier written row showed, for a later tuple with unchanged columns to merge into. */
function writtenValues(row: WrittenRow): Values {
  const slice = JSON.parse(row.text.toString("utf8", row.start, row.end)) as RowSlice;
  return sliceToValues(row.codec, slice);
}

export function createCoalescer(): Coalescer {
  let rows = new Map<string, CoalescedRow>();
  let changes = 0;
  return {
    put(row) {
      changes += 1;
      rows.set(row.rowKey, row);
    },
    add(codec, values) {
      const key = codec.keyOf(values);
      changes += 1;
      const existing = rows.get(key);
      if (existing === undefined || !values.includes(undefined)) {
        rows.set(key, { kind: "values", codec, rowKey: key, values });
        return;
      }
      const merged = existing.kind === "values" ? existing.values : writtenValues(existing);
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v !== undefined) merged[i] = v;
      }
      if (existing.kind === "written")
        rows.set(key, { kind: "values", codec, rowKey: key, values: merged });
    },
    get size() {
      return rows.size;
    },
    get changesIn() {
      return changes;
    },
    drain() {
      const out = [...rows.values()];
      rows = new Map();
      changes = 0;
      return out;
    },
  };
}
