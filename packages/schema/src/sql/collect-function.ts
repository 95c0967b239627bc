// Tombstone collection's delete, as a SECURITY DEFINER function per table, EXECUTE for the merge
// role only: the own-origin guard (own-origin-guard.ts) refuses the merge role any direct delete
// of its region's current-replica rows, and collection must remove those too. Whatever barrier it
// is called with, it removes only keys that are dead (a tombstone above every insert), have no
// user row, and whose tombstones are below the wall clock: a caller with a false barrier can at
// worst collect too early, the case docs/operate.md describes for keys written again.
import { quoteIdent } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";
import { MERGER_ROLE } from "./roles.ts";
import { regionOfOriginSql } from "./visible-view.ts";

/** A key of state rows aliased s, grouped by key, is dead: its greatest tombstone is newer than its greatest insert. */
export const deadKeySql = (layout: StateLayout): string =>
  `max(s.${quoteIdent(layout.deleteStamp)}) > coalesce(max(s.${quoteIdent(layout.insertStamp)}), -1)`;

/**
 * A dead key (its greatest tombstone newer than its greatest insert, no user row) is collected,
 * every state row of it at once, when each of its tombstones is below its deleting region's
 * barrier and below this region's wall clock. Every tombstone, not just the winning one: it costs
 * nothing in practice and needs no tie-break. The wall clock: a later local insert, which no
 * longer sees the tombstone, must still be stamped above it for the regions that have not
 * collected yet. Returns [keys, rows].
 */
export function collectFunctionSql(layout: StateLayout): string {
  const keys = layout.key.map((k) => quoteIdent(k.name));
  const sKeys = keys.map((k) => `s.${k}`).join(", ");
  const del = quoteIdent(layout.deleteStamp);
  const dead = `SELECT ${sKeys}
    FROM ${layout.stateTable} s
    LEFT JOIN unnest(g__regions, g__stamps) AS b(region, stamp) ON b.region = ${regionOfOriginSql.replace("origin", "s.origin")}
    GROUP BY ${sKeys}
    HAVING ${deadKeySql(layout)}
       AND bool_and(s.${del} IS NULL OR coalesce(s.${del} < b.stamp, false))
       AND max(s.${del}) < georep.wall_stamp()`;
  const noUserRow = `NOT EXISTS (SELECT 1 FROM ${layout.userTable} u WHERE ${keys.map((k) => `u.${k} = d.${k}`).join(" AND ")})`;
  const signature = `${layout.collectFn}(text[], bigint[], int)`;
  return `CREATE OR REPLACE FUNCTION ${layout.collectFn}(g__regions text[], g__stamps bigint[], g__limit int)
RETURNS int[] LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $georep$
DECLARE
  g__keys int;
  g__rows int;
BEGIN
  WITH picked AS (
    SELECT d.* FROM (${dead}) d WHERE ${noUserRow} LIMIT g__limit
  ), gone AS (
    DELETE FROM ${layout.stateTable} s USING picked p
    WHERE ${keys.map((k) => `s.${k} = p.${k}`).join(" AND ")}
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM picked)::int, (SELECT count(*) FROM gone)::int INTO g__keys, g__rows;
  RETURN ARRAY[g__keys, g__rows];
END
$georep$;
REVOKE ALL ON FUNCTION ${signature} FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ${signature} TO ${MERGER_ROLE};`;
}
