import type { Pool } from "pg";
import { CANONICAL_TEXT_SETTINGS_SQL, quoteIdent } from "@georep/schema";
import type { StateLayout } from "@georep/schema";

/**
 * Runs one read in a transaction with the canonical text settings: a row's text (and so its
 * digest and key range) must not depend on the server's time zone or date style.
 */
async function canonicalQuery<R extends Record<string, unknown>>(
  pool: Pool,
  sql: string,
  params: unknown[],
): Promise<R[]> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN READ ONLY");
    await client.query(CANONICAL_TEXT_SETTINGS_SQL);
    const { rows } = await client.query<R>(sql, params);
    await client.query("COMMIT");
    return rows;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined); // the original error is the one to report
    throw error;
  } finally {
    client.release();
  }
}

/** Digest of one key range (bucket) of a table in one region. */
export interface RangeDigest {
  readonly bucket: number;
  readonly rows: number;
  readonly digest: string;
}

/** The key and the whole row of user table alias `t`, as SQL lists for ROW(...). */
function rowExpressions(layout: StateLayout): { key: string; cols: string } {
  const column = (name: string): string => `t.${quoteIdent(name)}`;
  return {
    key: layout.key.map((k) => column(k.name)).join(", "),
    cols: [...layout.key.map((k) => k.name), ...layout.spec.columns.map((c) => c.name)]
      .map(column)
      .join(", "),
  };
}

/**
 * Digests a table's user rows (what services read) by key-hash range. Comparing digests
 * first keeps verification of a large table to a few small queries when regions agree.
 */
export async function tableDigest(
  pool: Pool,
  layout: StateLayout,
  buckets: number,
): Promise<RangeDigest[]> {
  const { key, cols } = rowExpressions(layout);
  const rows = await canonicalQuery<{ bucket: number; rows: string; digest: string }>(
    pool,
    `SELECT (abs(hashtext(ROW(${key})::text)::int8) % $1)::int AS bucket, count(*)::text AS rows,
            md5(string_agg(md5(ROW(${cols})::text), '' ORDER BY ROW(${key})::text COLLATE "C")) AS digest
     FROM ${layout.userTable} t GROUP BY 1 ORDER BY 1`,
    [buckets],
  );
  return rows.map((r) => ({ bucket: r.bucket, rows: Number(r.rows), digest: r.digest }));
}

/** Rows of the given key-hash ranges, as text per key, for a per-row comparison. */
export async function rangeRows(
  pool: Pool,
  layout: StateLayout,
  buckets: number,
  which: readonly number[],
): Promise<Map<string, string>> {
  const { key, cols } = rowExpressions(layout);
  const rows = await canonicalQuery<{ k: string; r: string }>(
    pool,
    `SELECT ROW(${key})::text AS k, ROW(${cols})::text AS r FROM ${layout.userTable} t
     WHERE (abs(hashtext(ROW(${key})::text)::int8) % $1)::int = ANY($2::int[])`,
    [buckets, which],
  );
  return new Map(rows.map((r) => [r.k, r.r]));
}

/** Every origin's counter components for one key, to show which region is missing what. */
export async function componentsOf(
  pool: Pool,
  layout: StateLayout,
  keyText: string,
): Promise<Record<string, Record<string, string>>> {
  const key = layout.key.map((k) => `s.${quoteIdent(k.name)}`).join(", ");
  const comps = layout.counters.flatMap((c) => (c.n === undefined ? [c.p] : [c.p, c.n]));
  if (comps.length === 0) return {};
  const rows = await canonicalQuery<Record<string, string>>(
    pool,
    `SELECT origin, ${comps.map((c) => `${quoteIdent(c)}::text AS ${quoteIdent(c)}`).join(", ")} FROM ${layout.stateTable} s WHERE ROW(${key})::text = $1`,
    [keyText],
  );
  return Object.fromEntries(rows.map(({ origin, ...rest }) => [origin ?? "?", rest]));
}
