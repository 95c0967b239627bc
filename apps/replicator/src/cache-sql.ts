import { componentColumns, quoteIdent } from "@georep/schema";
import type { StateLayout } from "@georep/schema";

/**
 * What the cache reads from PostgreSQL, in one statement per call so a row's totals and its
 * version come from one snapshot.
 *
 * The version of a row is "<generation>:<sum>": the generation is the region's newest
 * incarnation (it grows when the database lost history and the region starts writing under a
 * new replica id), the sum adds every counter component and every HLC stamp of every state row
 * of the key, every share's birth weighted above all of that, and the key's latest birth above
 * that again (a key collected and inserted again: fewer shares, a later birth). Counters can go down
 * (pncounters, deletes), so totals cannot be compared; the state can only grow: components and
 * stamps merge by max, a delete raises its del__t, and a share that starts over (a new lifetime,
 * components from zero) raises its birth. Any change to the state raises the sum, so a higher version was read later. A database that lost
 * history can hold less state than before, which is why the generation comes first.
 */

export interface CachedRowRead {
  /** Key values in key column order, as PostgreSQL text under the pool's session settings. */
  readonly key: readonly string[];
  readonly version: string;
  /** Counter column -> total; undefined when the row is deleted (state left, user row gone). */
  readonly totals: ReadonlyArray<readonly [string, string]> | undefined;
}

interface RawRow {
  gen: string;
  sum: string;
  alive: boolean;
  [column: string]: string | boolean | null;
}

/** Quoted with a colon: cannot be a key column's name. */
const SUM = '"georep:sum"';
/** The region's current generation (its newest incarnation), as text in column `gen`. */
export const GENERATION_SQL =
  "SELECT coalesce(max(incarnation), 1)::text AS gen FROM georep.incarnations";
const GENERATION = `(${GENERATION_SQL}) g`;

/** 2^80: above the sum of every component and stamp of a key (each below 2^63, far fewer than 2^17 of them). */
const BORN_WEIGHT = "1208925819614629174706176";
/**
 * 2^160: above the whole sum, births included (each below 2^63 times BORN_WEIGHT, far fewer than
 * 2^17 of them). The key's latest birth weighs this: a key collected (every state row gone) and
 * inserted again is born above every stamp it had, but has fewer shares than before, so its sum
 * alone could be below the version cached for it while dead.
 */
const LIFETIME_WEIGHT = "1461501637330902918203684832716283019655932542976";

function versionSum(layout: StateLayout, alias: string): string {
  const columns = [
    ...componentColumns(layout),
    ...layout.registers.map((r) => r.stamp),
    layout.insertStamp,
    layout.deleteStamp,
  ];
  // numeric: a sum of stamps (about 2^56 each) passes bigint's range. A share that starts over
  // (a new lifetime) drops its components, but its birth grows, weighted above any sum of the rest.
  const born = `${alias}.${quoteIdent(layout.born)}::numeric`;
  return `max(${born}) * ${LIFETIME_WEIGHT} + sum(${[...columns.map((c) => `coalesce(${alias}.${quoteIdent(c)}, 0)::numeric`), `${born} * ${BORN_WEIGHT}`].join(" + ")})`;
}

function outputs(layout: StateLayout, keyOf: (i: number) => string): string {
  const firstKey = quoteIdent(layout.key[0]?.name ?? "");
  return [
    ...layout.key.map((_, i) => `(${keyOf(i)})::text AS k${i}`),
    "g.gen",
    `v.${SUM}::text AS sum`,
    `t.${firstKey} IS NOT NULL AS alive`,
    ...layout.counters.map((c, i) => `t.${quoteIdent(c.column)}::text AS c${i}`),
  ].join(", ");
}

function userJoin(layout: StateLayout, keyOf: (i: number) => string): string {
  return layout.key.map((k, i) => `t.${quoteIdent(k.name)} = ${keyOf(i)}`).join(" AND ");
}

/** Reads the given keys ($1.. : one text[] per key column). Keys without state are left out. */
export function readKeysSql(layout: StateLayout): string {
  const typed = (i: number): string => `k.c${i}::${layout.key[i]?.type ?? "text"}`;
  const arrays = layout.key.map((_, i) => `$${i + 1}::text[]`).join(", ");
  const aliases = layout.key.map((_, i) => `c${i}`).join(", ");
  const stateMatch = layout.key
    .map((k, i) => `s.${quoteIdent(k.name)} = ${typed(i)}`)
    .join(" AND ");
  return `SELECT ${outputs(layout, typed)}
FROM unnest(${arrays}) AS k(${aliases})
CROSS JOIN LATERAL (SELECT ${versionSum(layout, "s")} AS ${SUM} FROM ${layout.stateTable} s WHERE ${stateMatch}) v
LEFT JOIN ${layout.userTable} t ON ${userJoin(layout, typed)}
CROSS JOIN ${GENERATION}
WHERE v.${SUM} IS NOT NULL`;
}

/**
 * One page of every key with state, in key order. With `after`, its parameters $1.. are the
 * previous page's last key (text, cast back); the page size is the last parameter.
 */
export function readPageSql(layout: StateLayout, after: boolean): string {
  const keys = layout.key.map((k) => quoteIdent(k.name));
  const at = (i: number): string => `v.${keys[i] ?? ""}`;
  const from = after
    ? `WHERE (${keys.map((k) => `s.${k}`).join(", ")}) > (${layout.key.map((k, i) => `$${i + 1}::${k.type}`).join(", ")})`
    : "";
  const limit = `$${after ? layout.key.length + 1 : 1}`;
  return `SELECT ${outputs(layout, at)}
FROM (SELECT ${keys.map((k) => `s.${k}`).join(", ")}, ${versionSum(layout, "s")} AS ${SUM}
      FROM ${layout.stateTable} s ${from}
      GROUP BY ${keys.map((k) => `s.${k}`).join(", ")}
      ORDER BY ${keys.map((k) => `s.${k}`).join(", ")}
      LIMIT ${limit}) v
LEFT JOIN ${layout.userTable} t ON ${userJoin(layout, at)}
CROSS JOIN ${GENERATION}
ORDER BY ${keys.map((_, i) => at(i)).join(", ")}`;
}

/** Maps a row of either query. */
export function toCachedRow(
  layout: StateLayout,
  raw: Readonly<Record<string, unknown>>,
): CachedRowRead {
  const row = raw as RawRow;
  return {
    key: layout.key.map((_, i) => String(row[`k${i}`])),
    version: `${row.gen}:${row.sum}`,
    totals: row.alive
      ? layout.counters.map((c, i) => [c.column, String(row[`c${i}`] ?? "0")] as const)
      : undefined,
  };
}
