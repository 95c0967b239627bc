import type { StateLayout } from "@georep/schema";
import { quoteIdent } from "@georep/schema";
import { keyList, keyMatch, touchedKeys, visibleOf } from "./common.ts";

const q = quoteIdent;

/**
 * Inserts the user rows of keys that are alive but missing. ON CONFLICT (a local transaction
 * inserted the key meanwhile) takes the row lock with a no-op assignment, so that every row the
 * next statement rewrites is locked by this transaction before it reads the view.
 */
export function insertMissingUserRowsSql(layout: StateLayout): string {
  const cols = [...layout.key.map((k) => q(k.name)), ...layout.spec.columns.map((c) => q(c.name))];
  const first = q(layout.key[0]?.name ?? "");
  return `INSERT INTO ${layout.userTable} AS u (${cols.join(", ")})
SELECT ${cols.map((c) => `v.${c}`).join(", ")}
FROM (SELECT * FROM ${touchedKeys(layout)} WHERE NOT EXISTS (SELECT 1 FROM ${layout.userTable} x WHERE ${keyMatch(layout, "x", "t")})) t
${visibleOf(layout)}
WHERE v.alive__
ORDER BY ${keyList(layout, "v")}
ON CONFLICT (${keyList(layout)}) DO UPDATE SET ${first} = u.${first}`;
}

/**
 * Rewrites the user rows of the touched keys from the visible view, in a statement of its own:
 * READ COMMITTED gives it a fresh snapshot taken after every row it writes is locked, so a local
 * transaction that committed while we waited for its row lock is part of what we read.
 * Alive rows get the resolved columns (only when something differs); dead rows are deleted.
 */
export function rewriteUserRowsSql(layout: StateLayout): string {
  const cols = layout.spec.columns.map((c) => q(c.name));
  return `WITH v AS MATERIALIZED (SELECT v.* FROM ${touchedKeys(layout)} ${visibleOf(layout)}),
upd AS (
  UPDATE ${layout.userTable} u SET ${cols.map((c) => `${c} = v.${c}`).join(", ")}
  FROM v WHERE ${keyMatch(layout, "u", "v")} AND v.alive__
    AND ROW(${cols.map((c) => `u.${c}`).join(", ")}) IS DISTINCT FROM ROW(${cols.map((c) => `v.${c}`).join(", ")})
  RETURNING 1),
del AS (DELETE FROM ${layout.userTable} u USING v WHERE ${keyMatch(layout, "u", "v")} AND NOT v.alive__ RETURNING 1)
SELECT (SELECT count(*) FROM upd)::int AS updated, (SELECT count(*) FROM del)::int AS deleted`;
}
