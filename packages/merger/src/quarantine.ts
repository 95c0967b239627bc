// The quarantine: remote row slices this region set aside instead of merging, one row each, in
// georep.quarantine. They are recorded in the transaction that records the batch's progress, so
// a set-aside row is never lost and never holds up the rest of its partition.
import type { RowSlice, RowsEnvelope } from "@georep/contract";
import { isDataError } from "./errors.ts";

/**
 * Why a row was set aside:
 * - `rejected`: this region's table refused it (class 22/23: a constraint, a type's range; 54000:
 *   a value past a limit, e.g. a key too long for an index entry);
 * - `schema-mismatch`: this region's spec lacks its table or a column (a spec upgrade not
 *   rolled out here yet);
 * - `clock-skew`: a stamp further in the future than the configured forward skew;
 * - `lock-timeout`: a local transaction held the row's lock past lock_timeout (retried by the
 *   merger itself, see DEFERRED_REASON).
 */
export const QUARANTINE_REASONS = [
  "rejected",
  "schema-mismatch",
  "clock-skew",
  "lock-timeout",
] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

/** Rows set aside for this reason are replayed by the merger on its own, not by an operator. */
export const DEFERRED_REASON: QuarantineReason = "lock-timeout";

/** One row slice set aside: an envelope holding exactly that slice, and why. */
export interface QuarantinedRow {
  readonly envelope: RowsEnvelope;
  readonly reason: QuarantineReason;
  readonly sqlState: string | undefined;
  readonly detail: string;
  /** topic/partition/offset of the message it came in. */
  readonly source: string;
}

/** A set-aside unit: one slice of a message, wrapped in its envelope's metadata. */
export interface RowUnit {
  readonly envelope: RowsEnvelope;
  readonly source: string;
}

/** Each slice of each envelope as an envelope of its own (same origin, LSN, commit time). */
export function rowUnits(
  envelopes: readonly RowsEnvelope[],
  sourceOf: (e: RowsEnvelope) => string,
): RowUnit[] {
  return envelopes.flatMap((e) =>
    e.rows.map((row) => ({ envelope: { ...e, rows: [row] }, source: sourceOf(e) })),
  );
}

/** The quarantine reason a merge failure calls for, or undefined when it is not about the rows. */
export function setAsideReason(sqlState: string | undefined): QuarantineReason | undefined {
  // 54000 program_limit_exceeded: e.g. a key too long for an index entry.
  if (isDataError(sqlState) || sqlState === "54000") return "rejected";
  if (sqlState === "55P03") return "lock-timeout"; // lock_not_available: lock_timeout ran out
  return undefined;
}

/** The row key as stored (and shown by `georep dlq list`): table and key columns. */
export function quarantineRowKey(slice: RowSlice): string {
  return `${slice.table} ${JSON.stringify(slice.key)}`;
}

/** Records set-aside rows; a row already recorded from the same message stays as it is. */
export const INSERT_QUARANTINE_SQL = `INSERT INTO georep.quarantine (table_name, row_key, origin, reason, sql_state, detail, source, envelope)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
ON CONFLICT (source, md5(row_key)) DO NOTHING`;

export function quarantineParams(rows: readonly QuarantinedRow[]): unknown[] {
  const slice = (r: QuarantinedRow): RowSlice => {
    const first = r.envelope.rows[0];
    if (first === undefined) throw new Error("a quarantined envelope holds exactly one row");
    return first;
  };
  return [
    rows.map((r) => slice(r).table),
    rows.map((r) => quarantineRowKey(slice(r))),
    rows.map((r) => r.envelope.origin),
    rows.map((r) => r.reason),
    rows.map((r) => r.sqlState ?? null),
    rows.map((r) => r.detail.slice(0, 2000)),
    rows.map((r) => r.source),
    rows.map((r) => JSON.stringify(r.envelope)),
  ];
}
