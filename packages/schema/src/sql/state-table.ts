import { quoteIdent } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";
import { componentColumns } from "../layout.ts";

/** Column name -> SQL definition of every engine column of a table's state table. */
export function stateColumnDefinitions(layout: StateLayout): Array<[string, string]> {
  return [
    [layout.zone, "text"],
    ...componentColumns(layout).map((c): [string, string] => [c, "bigint NOT NULL DEFAULT 0"]),
    ...layout.registers.flatMap((r): Array<[string, string]> => [
      [r.value, "text"],
      [r.stamp, "bigint"],
    ]),
    [layout.insertStamp, "bigint"],
    [layout.deleteStamp, "bigint"],
    [layout.deleteBase, "jsonb"],
    [layout.born, "bigint NOT NULL DEFAULT 0"],
  ];
}

/**
 * The state table, created once and then only ever widened (ADD COLUMN IF NOT EXISTS), so a
 * spec that gains a column migrates in place. Register values are kept MAIN (inline) where they
 * fit, which keeps most engine state out of TOAST; the reader still handles unchanged-TOAST.
 */
export function stateTableSql(layout: StateLayout): string {
  const key = layout.key.map((k) => `${quoteIdent(k.name)} ${k.type} NOT NULL`);
  const pk = [...layout.key.map((k) => quoteIdent(k.name)), layout.origin].join(", ");
  const widen = stateColumnDefinitions(layout).map(
    ([name, def]) =>
      `ALTER TABLE ${layout.stateTable} ADD COLUMN IF NOT EXISTS ${quoteIdent(name)} ${def};`,
  );
  const inline = layout.registers.map(
    (r) => `ALTER TABLE ${layout.stateTable} ALTER COLUMN ${quoteIdent(r.value)} SET STORAGE MAIN;`,
  );
  return [
    // fillfactor leaves room on each page so the trigger's updates stay HOT (no index writes).
    `CREATE TABLE IF NOT EXISTS ${layout.stateTable} (${[...key, `${layout.origin} text NOT NULL`, `PRIMARY KEY (${pk})`].join(", ")}) WITH (fillfactor = 80);`,
    `ALTER TABLE ${layout.stateTable} SET (fillfactor = 80);`,
    ...widen,
    ...inline,
  ].join("\n");
}

/** The user table as a service sees it, created only when it does not exist yet. */
export function userTableSql(layout: StateLayout): string {
  const cols = [
    ...layout.key.map((k) => `${quoteIdent(k.name)} ${k.type} NOT NULL`),
    ...layout.spec.columns.map((c) =>
      c.crdt === "lww"
        ? `${quoteIdent(c.name)} ${c.type}`
        : `${quoteIdent(c.name)} bigint NOT NULL DEFAULT 0`,
    ),
    `PRIMARY KEY (${layout.key.map((k) => quoteIdent(k.name)).join(", ")})`,
  ];
  return `CREATE TABLE IF NOT EXISTS ${layout.userTable} (${cols.join(", ")});`;
}

/** Columns a newer spec added: the user table gains them too. */
export function userTableWidenSql(layout: StateLayout): string {
  return layout.spec.columns
    .map((c) =>
      c.crdt === "lww"
        ? `ALTER TABLE ${layout.userTable} ADD COLUMN IF NOT EXISTS ${quoteIdent(c.name)} ${c.type};`
        : `ALTER TABLE ${layout.userTable} ADD COLUMN IF NOT EXISTS ${quoteIdent(c.name)} bigint NOT NULL DEFAULT 0;`,
    )
    .join("\n");
}
