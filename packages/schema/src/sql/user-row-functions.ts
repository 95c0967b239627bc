// The only way the merge role writes a user table: two functions per table, created by the
// installer as SECURITY DEFINER, EXECUTE granted to the merge role alone, which holds no INSERT,
// UPDATE or DELETE on user tables (roles.ts). Whatever keys they are called with, they can only
// lock rows or make user rows agree with the state (the visible view): a merge session can change
// what a region sees only through the state it merges (docs/security.md).
//
// Definer hygiene: they belong to georep_rowwriter, a NOLOGIN role holding only what the merge
// role used to hold on user tables, not to the installing login: the user's own triggers on the
// table run inside them, and must not run with the admin's rights. search_path is pg_catalog then
// pg_temp (pg_temp is never searched for functions or operators, so no object a caller or a
// schema's creator makes is found), every relation is schema-qualified, and nothing session-local
// (a temp table, a temp function) is touched. The user's triggers therefore see that search_path
// too: they must qualify names (docs/security.md). The canonical text settings are their own, so
// a direct call reads typed values as the merger does. The merger's session-local merge function
// calls them (packages/merger).
import { quoteIdent } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";
import { CANONICAL_TEXT_FUNCTION_SET } from "../canonical-text.ts";
import { MERGER_ROLE, ROW_WRITER_ROLE } from "./roles.ts";
import { keyList, keyMatch, keyVar, touchedKeys, visibleOf } from "./key-sql.ts";

const q = quoteIdent;

/** Locks the existing user rows of every touched key, in key order (deadlock-free against other mergers). */
export function lockUserRowsSql(layout: StateLayout): string {
  const keys = keyList(layout, "u");
  return `SELECT NULL FROM ${touchedKeys(layout)} JOIN ${layout.userTable} u ON ${keyMatch(layout, "u", "t")}
ORDER BY ${keys} FOR UPDATE OF u`;
}

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

/** The functions' parameters: one typed array per key column, named by keyVar. */
const keyParams = (layout: StateLayout): string =>
  layout.key.map((k, i) => `${keyVar(i)} ${k.type}[]`).join(", ");

const keyArgs = (layout: StateLayout): string => layout.key.map((_k, i) => keyVar(i)).join(", ");

/**
 * Both functions, their owner and their privileges: EXECUTE for the merge role only. VOLATILE
 * plpgsql: each statement takes a fresh snapshot in READ COMMITTED, which the lock-then-rewrite
 * argument of docs/merge.md needs. Writes are merged state, not local writes:
 * `georep.applying` tells the capture trigger so, whoever calls.
 */
export function userRowFunctionsSql(layout: StateLayout): string {
  const header = (name: string, returns: string): string =>
    `CREATE OR REPLACE FUNCTION ${name}(${keyParams(layout)})
RETURNS ${returns} LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET enable_seqscan = off SET jit = off ${CANONICAL_TEXT_FUNCTION_SET} AS $georep$
#variable_conflict use_column`;
  const signature = (name: string): string =>
    `${name}(${layout.key.map((k) => `${k.type}[]`).join(", ")})`;
  // The capture trigger lets these writes through uncaptured: it asks whether the session's login
  // (session_user, which SECURITY DEFINER does not change) is the merge role.
  return `${header(layout.lockUserRowsFn, "void")}
BEGIN
  PERFORM 1 FROM (${lockUserRowsSql(layout)}) locked;
END
$georep$;
${header(layout.writeUserRowsFn, "int[]")}
DECLARE
  g__inserted int;
  g__updated int;
  g__deleted int;
BEGIN
  PERFORM set_config('georep.applying', 'on', true);
  ${insertMissingUserRowsSql(layout)};
  GET DIAGNOSTICS g__inserted = ROW_COUNT;
  ${rewriteUserRowsSql(layout)} INTO g__updated, g__deleted;
  RETURN ARRAY[g__inserted, g__updated, g__deleted];
END
$georep$;
${[layout.lockUserRowsFn, layout.writeUserRowsFn]
  .map(
    (f) =>
      `ALTER FUNCTION ${signature(f)} OWNER TO ${ROW_WRITER_ROLE};\nREVOKE ALL ON FUNCTION ${signature(f)} FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION ${signature(f)} TO ${MERGER_ROLE};`,
  )
  .join("\n")}`;
}

/** The plpgsql statements that call them with the caller's key arrays (named by keyVar). */
export const lockUserRowsCall = (layout: StateLayout): string =>
  `PERFORM ${layout.lockUserRowsFn}(${keyArgs(layout)})`;

export const writeUserRowsCall = (layout: StateLayout, into: string): string =>
  `${into} := ${layout.writeUserRowsFn}(${keyArgs(layout)})`;
