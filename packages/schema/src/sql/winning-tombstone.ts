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
 * repair's pages and digests), aliased `s` with `where` applied: every column as stored, except
 * that each row carries its key's winning tombstone (stamp and base). A share's own tombstone
 * counts only through the key's greatest, so this changes nothing a region shows; but a share
 * shipped again can reach a region that has collected the key, and there it must arrive dead,
 * not as the live row it was before the delete (docs/data-model.md, "Shipped again"). The key's
 * tombstone is one primary-key probe per row, so a page (ORDER BY key LIMIT) still streams from
 * the index; a whole-table read takes reshippedStateScanSql, several times cheaper there.
 */
export function reshippedStateSql(layout: StateLayout, where = "true"): string {
  const q = quoteIdent;
  const winning = new Set<string>([layout.deleteStamp, layout.deleteBase]);
  const columns = stateColumnNames(layout).map((c) => (winning.has(c) ? `w.${q(c)}` : `s.${q(c)}`));
  const sameKey = layout.key.map((k) => `x.${q(k.name)} = s.${q(k.name)}`).join(" AND ");
  return `SELECT ${columns.join(", ")} FROM ${layout.stateTable} s
    CROSS JOIN LATERAL (SELECT x.${q(layout.deleteStamp)}, x.${q(layout.deleteBase)} FROM ${layout.stateTable} x
      WHERE ${sameKey} ORDER BY ${winningTombstoneOrder(layout, "x.")} LIMIT 1) w
    WHERE ${where}`;
}

/**
 * reshippedStateSql for a read of the whole table (repair's digests): the key's tombstone from a
 * window over the table in key order instead of a probe per row. Filter outside it: a filter
 * inside would hide rows of a key from its window.
 */
export function reshippedStateScanSql(layout: StateLayout): string {
  const q = quoteIdent;
  const winning = new Set<string>([layout.deleteStamp, layout.deleteBase]);
  const columns = stateColumnNames(layout).map((c) =>
    winning.has(c) ? `first_value(s.${q(c)}) OVER w AS ${q(c)}` : `s.${q(c)}`,
  );
  const key = layout.key.map((k) => `s.${q(k.name)}`).join(", ");
  return `SELECT ${columns.join(", ")} FROM ${layout.stateTable} s
    WINDOW w AS (PARTITION BY ${key} ORDER BY ${winningTombstoneOrder(layout, "s.")})`;
}
