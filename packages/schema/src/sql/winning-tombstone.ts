import { quoteIdent } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";
import { stateColumnNames } from "../layout.ts";

/**
 * The order that picks a key's winning tombstone among its state rows (`prefix` is an alias and
 * a dot, or empty): the greatest delete stamp, ties broken by replica id in code-point order, as
 * the core's compareStamp does. The view's base, the trigger's copy on insert and re-shipped
 * state all pick by it.
 */
export function winningTombstoneOrder(layout: StateLayout, prefix = ""): string {
  return `${prefix}${layout.deleteStamp} DESC NULLS LAST, ${prefix}origin COLLATE "C" DESC`;
}

/**
 * A table's state rows as a region ships them again (the own state emitted after a lost slot,
 * repair's pages and digests): every column as stored, except that each row carries its key's
 * winning tombstone (stamp and base). A share's own tombstone counts only through the key's
 * greatest, so this changes nothing a region shows; but a share shipped again can reach a region
 * that has collected the key, and there it must arrive dead, not as the live row it was before
 * the delete (docs/data-model.md, "Shipped again"). `keyWhere` (alias `s`) may filter on key
 * columns only: a key's rows are all read, or none.
 */
export function reshippedStateSql(layout: StateLayout, keyWhere = "true"): string {
  const q = quoteIdent;
  const winning = new Set<string>([layout.deleteStamp, layout.deleteBase]);
  const columns = stateColumnNames(layout).map((c) =>
    winning.has(c) ? `first_value(s.${q(c)}) OVER w AS ${q(c)}` : `s.${q(c)}`,
  );
  const key = layout.key.map((k) => `s.${q(k.name)}`).join(", ");
  return `SELECT ${columns.join(", ")} FROM ${layout.stateTable} s WHERE ${keyWhere}
    WINDOW w AS (PARTITION BY ${key} ORDER BY ${winningTombstoneOrder(layout, "s.")})`;
}
