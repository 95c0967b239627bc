import type pg from "pg";
import { beginReadSql } from "./read-transaction.ts";
import { rowSliceSchema } from "@georep/contract";
import type { RowSlice } from "@georep/contract";
import {
  CANONICAL_TEXT_SETTINGS_SQL,
  componentColumns,
  quoteIdent,
  quoteLiteral,
  reshippedStateSql,
} from "@georep/schema";
import type { StateLayout } from "@georep/schema";
import { RepairError } from "./errors.ts";
import { bucketSql, scopeSql } from "./scope.ts";
import type { RepairScope } from "./scope.ts";

/** One state row as the contract's slice, with the replica it belongs to. */
export interface ReplicaSlice {
  readonly replica: string;
  readonly slice: RowSlice;
}

/** Where a page ended: the last (key..., origin) read, as text. */
export type PageCursor = readonly string[];

const q = quoteIdent;

/** SQL that renders a state row (alias `s`) as its contract RowSlice, in JSON. */
export function sliceJsonSql(layout: StateLayout): string {
  const table = quoteLiteral(`${layout.spec.schema}.${layout.spec.name}`);
  const key = layout.key.map((k) => `${quoteLiteral(k.name)}, s.${q(k.name)}::text`).join(", ");
  const counters = componentColumns(layout)
    .map((c) => `${quoteLiteral(c)}, s.${q(c)}::text`)
    .join(", ");
  // A register the origin never wrote (NULL stamp) is absent, as in a shipped slice.
  const registers = layout.registers
    .map(
      (r) =>
        `CASE WHEN s.${q(r.stamp)} IS NULL THEN '{}'::jsonb ELSE jsonb_build_object(${quoteLiteral(r.column)}, jsonb_build_object('v', s.${q(r.value)}, 't', s.${q(r.stamp)}::text)) END`,
    )
    .join(" || ");
  return `jsonb_build_object('table', ${table}, 'key', jsonb_build_object(${key}), 'zone', s.zone,
    'counters', jsonb_build_object(${counters}), 'registers', '{}'::jsonb${registers === "" ? "" : ` || ${registers}`},
    'ins', s.${layout.insertStamp}::text, 'del', s.${layout.deleteStamp}::text,
    'delBase', (SELECT jsonb_object_agg(o.key, coalesce((SELECT jsonb_object_agg(c.key, to_jsonb(c.value #>> '{}')) FROM jsonb_each(o.value) c), '{}'::jsonb)) FROM jsonb_each(s.${layout.deleteBase}) o),
    'born', s.${layout.born}::text)`;
}

/**
 * Reads the next page of a table's state rows in the given buckets, in (key, origin) order after
 * `after`, each with its key's winning tombstone (as shipped again: reshippedStateSql). Keyset pagination: memory is bounded by the page, no cursor transaction is held, and
 * a repair can resume from any page boundary.
 * @throws RepairError when a row is not a valid slice (a peer's state this region cannot merge).
 */
export async function readSlices(
  pool: pg.Pool,
  layout: StateLayout,
  scope: RepairScope,
  buckets: readonly number[],
  after: PageCursor | undefined,
  limit: number,
  /** Read in this exported snapshot (read-transaction.ts). */
  snapshot?: string,
): Promise<{ slices: ReplicaSlice[]; cursor: PageCursor | undefined }> {
  const keys = [...layout.key.map((k) => `s.${q(k.name)}`), "s.origin"];
  const casts = [...layout.key.map((k) => k.type), "text"];
  const params: unknown[] = [buckets];
  let where = `${bucketSql(layout, scope.buckets)} = ANY($1::int[]) AND ${scopeSql(scope)}`;
  if (after !== undefined) {
    const at = after.map((v, i) => `$${i + 2}::${casts[i] ?? "text"}`);
    params.push(...after);
    where += ` AND (${keys.join(", ")}) > (${at.join(", ")})`;
  }
  params.push(limit);
  const client = await pool.connect();
  try {
    await client.query(beginReadSql(snapshot));
    await client.query(CANONICAL_TEXT_SETTINGS_SQL);
    const { rows } = await client.query<{ origin: string; slice: unknown; cursor: string[] }>(
      `SELECT s.origin, ${sliceJsonSql(layout)} AS slice,
              ARRAY[${keys.map((k) => `${k}::text`).join(", ")}] AS cursor
       FROM (${reshippedStateSql(layout, where)}) s ORDER BY ${keys.join(", ")} LIMIT $${params.length}`,
      params,
    );
    await client.query("COMMIT");
    const slices = rows.map((r) => {
      const parsed = rowSliceSchema.safeParse(r.slice);
      if (!parsed.success)
        throw new RepairError(
          `a state row of ${layout.spec.schema}.${layout.spec.name} (origin ${r.origin}) is not a valid slice: ${parsed.error.issues[0]?.message ?? "invalid"}`,
          { table: `${layout.spec.schema}.${layout.spec.name}` },
        );
      return { replica: r.origin, slice: parsed.data };
    });
    return { slices, cursor: rows.length < limit ? undefined : rows[rows.length - 1]?.cursor };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined); // the original error is the one to report
    throw error;
  } finally {
    client.release();
  }
}
