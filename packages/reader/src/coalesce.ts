import type { Values } from "./pgoutput.ts";
import type { TableCodec } from "./tuple.ts";

/** The latest known state of one (table, key) row within a flush window. */
export interface CoalescedRow {
  readonly codec: TableCodec;
  readonly rowKey: string;
  /** Latest values (codec.columns order), merged with earlier ones where the latest was unchanged TOAST. */
  readonly values: Values;
}

/**
 * Keeps one row per (table, key): each state row only grows, so the latest tuple dominates
 * every earlier one. An unchanged-TOAST column (undefined) of a later tuple keeps the earlier
 * tuple's value, which is exactly the current value since the update did not change it.
 */
export interface Coalescer {
  /** Takes ownership of `values` (the caller must not reuse the array). @throws DecodeError on a NULL/missing key. */
  add(codec: TableCodec, values: Values): void;
  /** Distinct rows held. */
  readonly size: number;
  /** Tuples added since the last drain. */
  readonly changesIn: number;
  drain(): CoalescedRow[];
}

export function createCoalescer(): Coalescer {
  let rows = new Map<string, CoalescedRow>();
  let changes = 0;
  return {
    add(codec, values) {
      const key = codec.keyOf(values);
      changes += 1;
      const existing = rows.get(key);
      if (existing === undefined) {
        rows.set(key, { codec, rowKey: key, values });
        return;
      }
      const merged = existing.values;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v !== undefined) merged[i] = v;
      }
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
