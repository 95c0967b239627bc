import { SpecError } from "./errors.ts";
import { quoteIdent } from "./identifiers.ts";
import type { KeyColumnSpec, TableSpec } from "./table-spec.ts";

/**
 * Where georep keeps a table's CRDT state. One state row per (key, origin region): the origin's
 * counter components, its latest register writes (value as text + HLC stamp), its latest insert
 * stamp and its latest tombstone. Only the origin writes its own row locally, so a publication
 * row filter `origin = <local>` ships exactly the locally-owned state and never echoes merged state.
 */
export const ENGINE_SCHEMA = "georep";

export interface CounterLayout {
  readonly column: string;
  readonly kind: "gcounter" | "pncounter";
  /** Grow-only component of this origin (increments). */
  readonly p: string;
  /** Decrement component (pncounter only). */
  readonly n: string | undefined;
}

export interface RegisterLayout {
  readonly column: string;
  readonly type: string;
  /** The value as PostgreSQL text (NULL = SQL NULL written); cast back with `::type`. */
  readonly value: string;
  /** HLC stamp of the origin's latest write of this column; NULL = never written by the origin. */
  readonly stamp: string;
}

export interface StateLayout {
  readonly spec: TableSpec;
  /** Qualified, quoted names. */
  readonly userTable: string;
  readonly stateTable: string;
  readonly visibleView: string;
  readonly stateTableName: string;
  /**
   * The installed SECURITY DEFINER functions through which, and only through which, the merge
   * role writes this table's user rows (sql/user-row-functions.ts).
   */
  readonly lockUserRowsFn: string;
  readonly writeUserRowsFn: string;
  /** Tombstone collection's delete (sql/collect-function.ts). */
  readonly collectFn: string;
  readonly key: readonly KeyColumnSpec[];
  readonly counters: readonly CounterLayout[];
  readonly registers: readonly RegisterLayout[];
  readonly origin: "origin";
  readonly zone: "zone";
  /**
   * The birth stamp of the origin's current lifetime of the row (0: before lifetimes). No user
   * column can produce this name: user names hold no `__`, and every other engine column adds a
   * letter after it.
   */
  readonly born: "born__";
  readonly insertStamp: "ins__t";
  readonly deleteStamp: "del__t";
  /** jsonb {region: {p-or-n column: component}} observed by the tombstone's writer. */
  readonly deleteBase: "del__base";
}

export function stateLayout(spec: TableSpec): StateLayout {
  const stateTableName = `state__${spec.schema}__${spec.name}`;
  const visibleName = `visible__${spec.schema}__${spec.name}`;
  if (visibleName.length > 63) {
    throw new SpecError(
      `table spec '${spec.name}': name is too long for georep's state table '${visibleName}' (63 max); shorten the table or schema name`,
      "name",
    );
  }
  return {
    spec,
    userTable: `${quoteIdent(spec.schema)}.${quoteIdent(spec.name)}`,
    stateTable: `${ENGINE_SCHEMA}.${quoteIdent(stateTableName)}`,
    visibleView: `${ENGINE_SCHEMA}.${quoteIdent(visibleName)}`,
    stateTableName,
    // Prefixes no longer than "visible__", so the length check above covers them.
    lockUserRowsFn: `${ENGINE_SCHEMA}.${quoteIdent(`ulock__${spec.schema}__${spec.name}`)}`,
    writeUserRowsFn: `${ENGINE_SCHEMA}.${quoteIdent(`uwrite__${spec.schema}__${spec.name}`)}`,
    collectFn: `${ENGINE_SCHEMA}.${quoteIdent(`collect__${spec.schema}__${spec.name}`)}`,
    key: spec.key,
    counters: spec.columns.flatMap((c) =>
      c.crdt === "lww"
        ? []
        : [
            {
              column: c.name,
              kind: c.crdt,
              p: `${c.name}__p`,
              n: c.crdt === "pncounter" ? `${c.name}__n` : undefined,
            },
          ],
    ),
    registers: spec.columns.flatMap((c) =>
      c.crdt === "lww"
        ? [{ column: c.name, type: c.type, value: `${c.name}__v`, stamp: `${c.name}__t` }]
        : [],
    ),
    origin: "origin",
    zone: "zone",
    born: "born__",
    insertStamp: "ins__t",
    deleteStamp: "del__t",
    deleteBase: "del__base",
  };
}

/** Every counter component column of the state table (p and n). */
export function componentColumns(layout: StateLayout): string[] {
  return layout.counters.flatMap((c) => (c.n === undefined ? [c.p] : [c.p, c.n]));
}

/**
 * Every column of the state table in one fixed order: key, origin, zone, components, registers
 * (value, stamp), insert and delete stamps, delete base, birth. The reader's tuple layout and repair's
 * digests use it; the physical order may differ between regions (widened tables).
 */
export function stateColumnNames(layout: StateLayout): string[] {
  return [
    ...new Set([
      ...layout.key.map((k) => k.name),
      layout.origin,
      layout.zone,
      ...componentColumns(layout),
      ...layout.registers.flatMap((r) => [r.value, r.stamp]),
      layout.insertStamp,
      layout.deleteStamp,
      layout.deleteBase,
      layout.born,
    ]),
  ];
}
