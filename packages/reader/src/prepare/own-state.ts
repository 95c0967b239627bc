import type { Queryable } from "../postgres/queryable.ts";
import { quoteIdent, reshippedStateSql } from "@georep/schema";
import type { TableCodec, Tuple } from "../postgres/tuple.ts";

function selectList(codec: TableCodec): string {
  return codec.columns.map((c) => `${quoteIdent(c)}::text AS ${quoteIdent(c)}`).join(", ");
}

/**
 * Streams every state row of one of this region's replicas (origin = replica), each with its
 * key's winning tombstone, in key order, `batchSize` rows at a
 * time (keyset pagination, so memory stays bounded and no long cursor transaction is held).
 */
export async function* readOwnState(
  client: Queryable,
  codec: TableCodec,
  replica: string,
  batchSize: number,
): AsyncGenerator<Tuple[]> {
  const keys = codec.keyOrder.map(quoteIdent);
  const keyTuple = `(${keys.map((k) => `s.${k}`).join(", ")})`;
  const casts = codec.layout.key.map((k, i) => `$${i + 2}::${k.type}`);
  let after: Tuple | undefined;
  for (;;) {
    const params: unknown[] = [replica];
    let where = "s.origin = $1";
    if (after !== undefined) {
      const last = after;
      params.push(...codec.keyOrder.map((k) => last[k]));
      where += ` AND ${keyTuple} > (${casts.join(", ")})`;
    }
    params.push(batchSize);
    // Shipped again: each row with its key's winning tombstone (reshippedStateSql says why).
    // ORDER BY qualified: a bare name would sort by the selected text, not the key the page's
    // bound compares (ids 1..12 in pages of 5: 1, 10, 11, 12, 2 | then past 2, 10-12 again).
    const { rows } = await client.query<Record<string, string | null>>(
      `SELECT ${selectList(codec)} FROM (${reshippedStateSql(codec.layout, where)}) s
       ORDER BY ${keys.map((k) => `s.${k}`).join(", ")} LIMIT $${params.length}`,
      params,
    );
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1];
  }
}

/**
 * Current own-state row of one key, for a tuple that carried unchanged-TOAST values. Reading a
 * newer state than the WAL change is safe: state rows only grow.
 */
export async function rereadOwnRow(
  client: Queryable,
  codec: TableCodec,
  replica: string,
  tuple: Tuple,
): Promise<Tuple | undefined> {
  const match = codec.layout.key
    .map((k, i) => `${quoteIdent(k.name)} = $${i + 2}::${k.type}`)
    .join(" AND ");
  const { rows } = await client.query<Record<string, string | null>>(
    `SELECT ${selectList(codec)} FROM ${codec.layout.stateTable} WHERE origin = $1 AND ${match}`,
    [replica, ...codec.keyOrder.map((k) => tuple[k])],
  );
  return rows[0];
}
