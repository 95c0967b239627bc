// Reading and replaying the quarantine: `georep dlq list / replay`, and the merger's own retry of
// rows set aside behind a local lock. Replay merges a row again and deletes it; merging is
// idempotent, so a replay cut off between the two (or run twice) changes nothing more.
import type { ClientBase } from "pg";
import { envelopeSchema } from "@georep/contract";
import type { RowsEnvelope } from "@georep/contract";
import { clockSkewOf } from "./clock-bounds.ts";
import { MergeError } from "./errors.ts";
import type { MergeTransaction } from "./merge-transaction-types.ts";
import type { StateLayout } from "@georep/schema";
import { setAsideReason } from "./quarantine.ts";
import { sliceMismatch } from "./staging.ts";
import type { QuarantineReason } from "./quarantine.ts";

export interface QuarantineEntry {
  readonly id: string;
  readonly table: string;
  readonly rowKey: string;
  readonly origin: string;
  readonly reason: string;
  readonly sqlState: string | null;
  readonly detail: string;
  readonly source: string;
  readonly quarantinedAt: string;
  readonly attempts: number;
}

export interface QuarantineFilter {
  /** Only rows set aside for this reason. */
  readonly reason?: QuarantineReason | undefined;
  /** Only these rows (ids as shown by list). */
  readonly ids?: readonly string[] | undefined;
  /** At most this many rows, oldest first. */
  readonly limit: number;
}

const SELECT_SQL = `SELECT id::text AS id, table_name, row_key, origin, reason, sql_state, detail, source,
  to_char(quarantined_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS quarantined_at, attempts, envelope
FROM georep.quarantine
WHERE ($1::text IS NULL OR reason = $1) AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))
ORDER BY id LIMIT $3`;

interface Row {
  id: string;
  table_name: string;
  row_key: string;
  origin: string;
  reason: string;
  sql_state: string | null;
  detail: string;
  source: string;
  quarantined_at: string;
  attempts: number;
  envelope: unknown;
}

async function select(client: ClientBase, f: QuarantineFilter): Promise<Row[]> {
  const { rows } = await client.query<Row>(SELECT_SQL, [f.reason ?? null, f.ids ?? null, f.limit]);
  return rows;
}

const toEntry = (r: Row): QuarantineEntry => ({
  id: r.id,
  table: r.table_name,
  rowKey: r.row_key,
  origin: r.origin,
  reason: r.reason,
  sqlState: r.sql_state,
  detail: r.detail,
  source: r.source,
  quarantinedAt: r.quarantined_at,
  attempts: r.attempts,
});

/** The quarantined rows matching `filter`, oldest first. */
export async function listQuarantine(
  client: ClientBase,
  filter: QuarantineFilter,
): Promise<QuarantineEntry[]> {
  return (await select(client, filter)).map(toEntry);
}

/** Rows in the quarantine, by reason. */
export async function quarantineSize(client: ClientBase): Promise<Map<string, number>> {
  const { rows } = await client.query<{ reason: string; n: number }>(
    "SELECT reason, count(*)::int AS n FROM georep.quarantine GROUP BY reason",
  );
  return new Map(rows.map((r) => [r.reason, r.n]));
}

export interface ReplayOptions extends QuarantineFilter {
  readonly mergeTransaction: MergeTransaction;
  /** This region's tables: a row whose table or columns are still unknown stays set aside. */
  readonly layouts: ReadonlyMap<string, StateLayout>;
  /** Now, epoch ms, and the forward skew: a row still stamped too far ahead stays set aside. */
  readonly nowMs: number;
  readonly maxForwardSkewMs: number;
}

export interface ReplayOutcome {
  /** Rows merged and removed from the quarantine. */
  readonly merged: number;
  /** Rows still refused, with the reason they stay. */
  readonly kept: readonly QuarantineEntry[];
}

const NOTE_SQL = `UPDATE georep.quarantine SET attempts = attempts + 1, last_attempt_at = clock_timestamp(),
  reason = $2, sql_state = $3, detail = $4 WHERE id = $1::bigint`;

/**
 * Merges the matching rows again, one transaction each: merged rows leave the quarantine, refused
 * ones stay with the new reason and detail. Errors that are not about the row (a lost connection)
 * are thrown: the rows stay for the next replay.
 * @throws MergeError from the merge; Error when a stored envelope does not parse.
 */
export async function replayQuarantine(
  client: ClientBase,
  options: ReplayOptions,
): Promise<ReplayOutcome> {
  let merged = 0;
  const kept: QuarantineEntry[] = [];
  for (const row of await select(client, options)) {
    const envelope = parseStored(row);
    const keep = async (reason: string, sqlState: string | null, detail: string) => {
      await client.query(NOTE_SQL, [row.id, reason, sqlState, detail.slice(0, 2000)]);
      kept.push({ ...toEntry(row), reason, sqlState, detail, attempts: row.attempts + 1 });
    };
    const mismatch = envelope.rows
      .map((s) => sliceMismatch(s, options.layouts))
      .find((d) => d !== undefined);
    if (mismatch !== undefined) {
      await keep("schema-mismatch", null, mismatch);
      continue;
    }
    const skew = envelope.rows
      .map((s) => clockSkewOf(s, options.nowMs, options.maxForwardSkewMs))
      .find((d) => d !== undefined);
    if (skew !== undefined) {
      await keep("clock-skew", null, skew);
      continue;
    }
    try {
      await options.mergeTransaction.run(client, { envelopes: [envelope], progress: [] });
    } catch (error) {
      const reason = error instanceof MergeError ? setAsideReason(error.sqlState) : undefined;
      if (reason === undefined || !(error instanceof MergeError)) throw error;
      await keep(reason, error.sqlState ?? null, error.message);
      continue;
    }
    await client.query("DELETE FROM georep.quarantine WHERE id = $1::bigint", [row.id]);
    merged += 1;
  }
  return { merged, kept };
}

function parseStored(row: Row): RowsEnvelope {
  const parsed = envelopeSchema.safeParse(row.envelope);
  if (!parsed.success || parsed.data.kind !== "rows")
    throw new Error(
      `quarantine row ${row.id}: the stored envelope is not a rows envelope (${parsed.error?.issues[0]?.message ?? "heartbeat"}); delete the row by hand`,
    );
  return parsed.data;
}
