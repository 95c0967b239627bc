import type pg from "pg";
import { beginReadSql } from "./read-transaction.ts";
import {
  CANONICAL_TEXT_SETTINGS_SQL,
  quoteIdent,
  reshippedStateScanSql,
  stateColumnNames,
} from "@georep/schema";
import type { StateLayout } from "@georep/schema";
import { bucketSql, scopeSql } from "./scope.ts";
import type { RepairScope } from "./scope.ts";

/** One key range of a table's CRDT state in one region. */
export interface StateRangeDigest {
  readonly rows: number;
  readonly digest: string;
}

/**
 * Digests of a table's CRDT state (every origin's and every incarnation's row) per key range,
 * within a repair scope. Regions whose state agrees produce equal digests, whatever order they
 * merged it in: state rows are the CRDT's joined state, not its history. Rows are digested as
 * repair ships them, with their key's winning tombstone: a region that merged a repaired page
 * holds them so, its peers may not, and both agree.
 */
export async function stateDigests(
  pool: pg.Pool,
  layout: StateLayout,
  scope: RepairScope,
  /** Read in this exported snapshot (read-transaction.ts). */
  snapshot?: string,
): Promise<Map<number, StateRangeDigest>> {
  const cols = stateColumnNames(layout)
    .map((c) => `s.${quoteIdent(c)}`)
    .join(", ");
  // Byte order of the row's text: the same in every region, whatever their collations.
  const key = `ROW(${[...layout.key.map((k) => `s.${quoteIdent(k.name)}`), "s.origin"].join(", ")})::text COLLATE "C"`;
  const client = await pool.connect();
  try {
    await client.query(beginReadSql(snapshot));
    await client.query(CANONICAL_TEXT_SETTINGS_SQL);
    const { rows } = await client.query<{ bucket: number; rows: string; digest: string }>(
      `SELECT ${bucketSql(layout, scope.buckets)} AS bucket, count(*)::text AS rows,
              md5(string_agg(md5(ROW(${cols})::text), '' ORDER BY ${key})) AS digest
       FROM (${reshippedStateScanSql(layout)}) s WHERE ${scopeSql(scope)} GROUP BY 1`,
    );
    await client.query("COMMIT");
    return new Map(rows.map((r) => [r.bucket, { rows: Number(r.rows), digest: r.digest }]));
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined); // the original error is the one to report
    throw error;
  } finally {
    client.release();
  }
}

/** Buckets whose state the source holds and the target does not hold identically. */
export function differingBuckets(
  source: ReadonlyMap<number, StateRangeDigest>,
  target: ReadonlyMap<number, StateRangeDigest>,
): number[] {
  return [...source]
    .filter(([bucket, d]) => target.get(bucket)?.digest !== d.digest)
    .map(([bucket]) => bucket)
    .sort((a, b) => a - b);
}
