import { quoteIdent, regionOfOriginSql } from "@georep/schema";
import type { StateLayout } from "@georep/schema";

/** The SQL of one table's collection pass. */
export interface CollectionSql {
  /** Deletes every state row of up to $3 collectable keys; $1/$2: barrier regions and stamps. Returns keys, rows. */
  readonly collect: string;
  /** Dead keys still holding state (tombstones waiting). */
  readonly waiting: string;
}

/**
 * A dead key (its greatest tombstone newer than its greatest insert, no user row) is collected,
 * every state row of it at once, when each of its tombstones is below its deleting region's
 * barrier (barrier.ts) and below this region's wall clock. Every tombstone, not just the
 * winning one: it costs nothing in practice and needs no tie-break. The wall clock: a later local
 * insert, which no longer sees the tombstone, must still be stamped above it for the regions
 * that have not collected yet.
 */
export function collectionSql(layout: StateLayout): CollectionSql {
  const keys = layout.key.map((k) => quoteIdent(k.name));
  const sKeys = keys.map((k) => `s.${k}`).join(", ");
  const dead = `SELECT ${sKeys}
  FROM ${layout.stateTable} s
  LEFT JOIN unnest($1::text[], $2::bigint[]) AS b(region, stamp) ON b.region = ${regionOfOriginSql.replace("origin", "s.origin")}
  GROUP BY ${sKeys}
  HAVING max(s.${layout.deleteStamp}) > coalesce(max(s.${layout.insertStamp}), -1)
     AND bool_and(s.${layout.deleteStamp} IS NULL OR coalesce(s.${layout.deleteStamp} < b.stamp, false))
     AND max(s.${layout.deleteStamp}) < georep.wall_stamp()`;
  const noUserRow = `NOT EXISTS (SELECT 1 FROM ${layout.userTable} u WHERE ${keys.map((k) => `u.${k} = d.${k}`).join(" AND ")})`;
  const collect = `WITH picked AS (
  SELECT d.* FROM (${dead}) d WHERE ${noUserRow} LIMIT $3
), gone AS (
  DELETE FROM ${layout.stateTable} s USING picked p
  WHERE ${keys.map((k) => `s.${k} = p.${k}`).join(" AND ")}
  RETURNING 1
)
SELECT (SELECT count(*) FROM picked)::int AS keys, (SELECT count(*) FROM gone)::int AS rows`;
  const waiting = `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${layout.stateTable} s
  GROUP BY ${sKeys} HAVING max(s.${layout.deleteStamp}) > coalesce(max(s.${layout.insertStamp}), -1)) d`;
  return { collect, waiting };
}
