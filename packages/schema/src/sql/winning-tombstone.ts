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

/** Every state column of alias `s`, the tombstone's two taken from `winning(column)`. */
function withWinningTombstone(layout: StateLayout, winning: (column: string) => string): string {
  const tombstone = new Set<string>([layout.deleteStamp, layout.deleteBase]);
  return stateColumnNames(layout)
    .map((c) =>
      tombstone.has(c) ? `${winning(quoteIdent(c))} AS ${quoteIdent(c)}` : `s.${quoteIdent(c)}`,
    )
    .join(", ");
}

/**
 * A table's state rows as a region ships them again (the own state emitted after a lost slot,
 * repair's pages and digests), aliased `s` with `where` applied: every column as stored, except
 * that each row carries its key's winning tombstone (stamp and base) among the rows of its zone
 * (a zone's delete, whose base holds counts, is not shipped again on a row outside it; the
 * trigger's copy on insert is key-wide, into a row of the key's zone at the time). A share's own
 * tombstone counts only through the key's greatest, so this changes nothing a region shows but
 * at exactly equal stamps (docs/data-model.md, "Shipped again"); and a share shipped again can
 * reach a region that has collected the key, where it must arrive dead, not as the live row it
 * was before the delete. The tombstone is one primary-key probe per row, so a page (ORDER BY key
 * LIMIT) still streams from the index; a whole-table read takes reshippedStateScanSql, several
 * times cheaper there.
 */
export function reshippedStateSql(layout: StateLayout, where = "true"): string {
  const q = quoteIdent;
  // Key columns are NOT NULL and `=` keeps the probe on the primary key; the zone may be NULL.
  const sameKey = [
    ...layout.key.map((k) => `x.${q(k.name)} = s.${q(k.name)}`),
    `x.${q(layout.zone)} IS NOT DISTINCT FROM s.${q(layout.zone)}`,
  ].join(" AND ");
  return `SELECT ${withWinningTombstone(layout, (c) => `w.${c}`)} FROM ${layout.stateTable} s
    CROSS JOIN LATERAL (SELECT x.${q(layout.deleteStamp)}, x.${q(layout.deleteBase)} FROM ${layout.stateTable} x
      WHERE ${sameKey} ORDER BY ${winningTombstoneOrder(layout, "x.")} LIMIT 1) w
    WHERE ${where}`;
}

/**
 * reshippedStateSql for a read of the whole table (repair's digests): the tombstone from a window
 * over the table in (key, zone) order instead of a probe per row. Filter outside it: a filter
 * inside would hide rows of a key from its window.
 */
export function reshippedStateScanSql(layout: StateLayout): string {
  const partition = [...layout.key.map((k) => k.name), layout.zone]
    .map((c) => `s.${quoteIdent(c)}`)
    .join(", ");
  return `SELECT ${withWinningTombstone(layout, (c) => `first_value(s.${c}) OVER w`)} FROM ${layout.stateTable} s
    WINDOW w AS (PARTITION BY ${partition} ORDER BY ${winningTombstoneOrder(layout, "s.")})`;
}
