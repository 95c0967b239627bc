import { deadKeySql, quoteIdent } from "@georep/schema";
import type { StateLayout } from "@georep/schema";

/** The SQL of one table's collection pass. */
export interface CollectionSql {
  /** Deletes every state row of up to $3 collectable keys; $1/$2: barrier regions and stamps. Returns keys, rows. */
  readonly collect: string;
  /** Dead keys still holding state (tombstones waiting). */
  readonly waiting: string;
}

/**
 * Collecting is one call of the table's installed collection function (its rules are there,
 * @georep/schema's collect-function.ts): the merge role may not delete its region's current-replica
 * rows itself. $1/$2: barrier regions and stamps; $3: keys at most.
 */
export function collectionSql(layout: StateLayout): CollectionSql {
  const keys = layout.key.map((k) => quoteIdent(k.name));
  const sKeys = keys.map((k) => `s.${k}`).join(", ");
  const collect = `SELECT x.r[1] AS keys, x.r[2] AS rows FROM ${layout.collectFn}($1::text[], $2::bigint[], $3::int) AS x(r)`;
  const waiting = `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${layout.stateTable} s
  GROUP BY ${sKeys} HAVING ${deadKeySql(layout)}) d`;
  return { collect, waiting };
}
