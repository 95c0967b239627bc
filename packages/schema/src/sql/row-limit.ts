import { MAX_ROW_VALUE_BYTES } from "@georep/contract";
import { quoteIdent, quoteLiteral } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";

/** Register types whose text form is a few dozen bytes at most: never worth measuring. */
const SMALL_TYPES = new Set([
  "bigint",
  "integer",
  "smallint",
  "boolean",
  "timestamptz",
  "timestamp",
  "date",
  "double precision",
  "real",
  "uuid",
]);

/**
 * The capture trigger's check that a written row fits georep's per-row limit (docs/capture.md,
 * "Row size limit"): its register values as JSON text, as the row's slice carries them, may total
 * at most `limit` bytes. Refused with SQLSTATE 54000 naming the table, the largest column and the
 * limit, so an over-limit row never reaches Kafka. JSON escaping makes a value at most 6x its
 * bytes, so the exact (costly) measure only runs when the raw bytes exceed limit / 8: on the hot
 * path the check is one sum of octet_length, which reads a TOASTed value's size without fetching it.
 */
export function rowLimitCheck(
  layout: StateLayout,
  rec: string,
  limit: number = MAX_ROW_VALUE_BYTES,
): string {
  const columns = layout.registers.filter((r) => !SMALL_TYPES.has(r.type));
  if (columns.length === 0) return "";
  const text = (column: string): string => `${rec}.${quoteIdent(column)}::text`;
  const json = (column: string): string =>
    `coalesce(octet_length(to_json(${text(column)})::text), 0)`;
  const raw = columns.map((r) => `coalesce(octet_length(${text(r.column)}), 0)`).join(" + ");
  const total = columns.map((r) => json(r.column)).join(" + ");
  // Worked out on the way to the error only.
  const largest = `(SELECT c FROM (VALUES ${columns
    .map((r) => `(${quoteLiteral(r.column)}, ${json(r.column)})`)
    .join(", ")}) v(c, n) ORDER BY n DESC LIMIT 1)`;
  const table = quoteLiteral(`${layout.spec.schema}.${layout.spec.name}`);
  return `IF ${raw} > ${Math.floor(limit / 8)} AND ${total} > ${limit} THEN
      RAISE EXCEPTION 'georep: a row of % is too large to replicate: column "%" and the row''s other register values take % bytes as JSON, the limit is ${limit} bytes per row', ${table}, ${largest}, ${total}
        USING ERRCODE = 'program_limit_exceeded', HINT = 'Keep large values outside the replicated table (e.g. in object storage) and replicate a reference to them; see "Row size limit" in docs/capture.md.';
    END IF;`;
}
