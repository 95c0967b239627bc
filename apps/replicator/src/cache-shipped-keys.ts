import { z } from "zod";
import type { RowsEnvelope } from "@georep/contract";

/** The part of a capture batch the cache reads (structurally the reader's CaptureBatch). */
export interface ShippedBatch {
  readonly rows: ReadonlyArray<{
    readonly text: Buffer;
    readonly start: number;
    readonly end: number;
  }>;
}

export type KeysByTable = Map<string, Array<Readonly<Record<string, string>>>>;

/** Only what the cache needs of a shipped slice; the rest of it is the merger's business. */
const sliceKeySchema = z.object({
  table: z.string(),
  key: z.record(z.string(), z.string()),
});

/**
 * The rows of shipped local state, by table. Each row's bytes are the JSON of a contract
 * RowSlice the reader wrote.
 * @throws ZodError or SyntaxError when a slice is not one (a reader bug).
 */
export function shippedKeys(batch: ShippedBatch): KeysByTable {
  const out: KeysByTable = new Map();
  for (const row of batch.rows) {
    const slice = sliceKeySchema.parse(JSON.parse(row.text.toString("utf8", row.start, row.end)));
    add(out, slice.table, slice.key);
  }
  return out;
}

/** The rows a committed merge batch touched, by table. */
export function mergedKeys(envelopes: readonly RowsEnvelope[]): KeysByTable {
  const out: KeysByTable = new Map();
  for (const e of envelopes) for (const row of e.rows) add(out, row.table, row.key);
  return out;
}

function add(out: KeysByTable, table: string, key: Readonly<Record<string, string>>): void {
  // Push, not spread: a group commit can carry 20,000 rows and this runs after every batch.
  const keys = out.get(table);
  if (keys === undefined) out.set(table, [key]);
  else keys.push(key);
}
