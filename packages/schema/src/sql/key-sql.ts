// SQL fragments over a table's key, shared by the merge function the merger creates and the
// user-row functions the installer creates (user-row-functions.ts): both are plpgsql bodies whose
// key arrays are named by keyVar.
import { quoteIdent } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";

/**
 * The plpgsql variable (or parameter) holding the touched keys' i-th column. The `g__` prefix
 * keeps it apart from user column names (`#variable_conflict use_column` resolves any remaining
 * clash to the column).
 */
export const keyVar = (i: number): string => `g__k${i + 1}`;

export const keyList = (layout: StateLayout, alias?: string): string =>
  layout.key
    .map((k) => (alias === undefined ? quoteIdent(k.name) : `${alias}.${quoteIdent(k.name)}`))
    .join(", ");

export const keyMatch = (layout: StateLayout, a: string, b: string): string =>
  layout.key.map((k) => `${a}.${quoteIdent(k.name)} = ${b}.${quoteIdent(k.name)}`).join(" AND ");

/** The distinct touched keys, typed (the key arrays), aliased t. */
export const touchedKeys = (layout: StateLayout): string =>
  `unnest(${layout.key.map((_k, i) => keyVar(i)).join(", ")}) AS t(${keyList(layout)})`;

/** The visible row of each key of the relation aliased t: LATERAL, so the key predicate reaches the view's index scan. */
export const visibleOf = (layout: StateLayout, alias = "v", outer = "t"): string =>
  `CROSS JOIN LATERAL (SELECT * FROM ${layout.visibleView} vv WHERE ${keyMatch(layout, "vv", outer)} OFFSET 0) ${alias}`;
