import { quoteIdent, quoteLiteral as sqlString } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";
import { homeExpression } from "./home.ts";
import { winningTombstoneOrder } from "./winning-tombstone.ts";

/**
 * The view that resolves a table's CRDT state into the row services see. It is the single
 * definition of "what a row looks like" used by the merger, verification and tests:
 *   - lifetimes first: a share born at or below the key's greatest delete, when a later share
 *     was born, is killed and counts for nothing (the core's `isKilled`; docs/data-model.md)
 *   - counters: sum over live shares of max(0, component - winning tombstone's base[origin]),
 *     the base only for shares born at or before that tombstone (the core's `baseApplies`)
 *   - registers: among live shares, the entry with the greatest (stamp, origin); with `home-wins`, entries written
 *     by the row's home region outrank all others: (is_home, stamp, origin)
 *   - alive: greatest (ins__t, origin) > greatest (del__t, origin); updates never revive a row.
 * Key predicates push down through the window partitions, so `WHERE key = ...` stays an index scan.
 */
/** The region of a state row's origin (a replica id: `region` or `region.<incarnation>`, see @georep/crdt replicaId). */
export const regionOfOriginSql = "split_part(origin, '.', 1)";

/**
 * Ties between equal stamps break by replica id in code-point order, as the core's compareStamp
 * does: under the database's collation (ICU, glibc) two regions could pick different winners.
 */
const byCodePoint = 'origin COLLATE "C"';

export function visibleViewSql(layout: StateLayout): string {
  const keys = layout.key.map((k) => quoteIdent(k.name));
  const part = keys.join(", ");
  const registerByName = new Map(layout.registers.map((r) => [r.column, r]));
  const winning = (value: string, stamp: string): string =>
    `first_value(CASE WHEN live__ THEN ${quoteIdent(value)} END) OVER (PARTITION BY ${part} ORDER BY CASE WHEN live__ THEN ${quoteIdent(stamp)} END DESC NULLS LAST, ${byCodePoint} DESC)`;
  const inputOf = (name: string): string => {
    const reg = registerByName.get(name);
    return reg === undefined ? `s.${quoteIdent(name)}` : `(${winning(reg.value, reg.stamp)})`;
  };
  const homeWins = layout.spec.policy === "home-wins";
  // Per share: live__ (not killed by a later lifetime) and the key's greatest delete.
  const born = quoteIdent(layout.born);
  const w = `OVER (PARTITION BY ${part})`;
  const lifetimes = `SELECT s.*, NOT coalesce(${born} <= max(${layout.deleteStamp}) ${w} AND ${born} < max(${born}) ${w}, false) AS live__, max(${layout.deleteStamp}) ${w} AS del__max FROM ${layout.stateTable} s`;
  const inner = [
    "s.*",
    `first_value(${layout.deleteBase}) OVER (PARTITION BY ${part} ORDER BY ${winningTombstoneOrder(layout)}) AS base__`,
    ...(homeWins ? [`${homeExpression(layout.spec, inputOf)} AS home__`] : []),
  ];
  const component = (col: string): string =>
    `CASE WHEN live__ THEN greatest(0, ${quoteIdent(col)} - CASE WHEN ${born} <= del__max THEN coalesce((base__ -> origin ->> ${sqlString(col)})::bigint, 0) ELSE 0 END) ELSE 0 END`;
  const counters = layout.counters.map((c) =>
    c.n === undefined
      ? `sum(${component(c.p)})::bigint AS ${quoteIdent(c.column)}`
      : `(sum(${component(c.p)}) - sum(${component(c.n)}))::bigint AS ${quoteIdent(c.column)}`,
  );
  const registers = layout.registers.flatMap((r) => {
    // The column the home region is read from resolves by plain LWW, as home__ itself does:
    // ranking its own entries by the home they decide would be circular.
    const byHome = homeWins && r.column !== layout.spec.home.column;
    const order = `${byHome ? `(${regionOfOriginSql} = home__) DESC, ` : ""}${quoteIdent(r.stamp)} DESC, ${byCodePoint} DESC`;
    const agg = (expr: string): string =>
      `(array_agg(${expr} ORDER BY ${order}) FILTER (WHERE ${quoteIdent(r.stamp)} IS NOT NULL AND live__))[1]`;
    // A view cannot pin settings, and need not: the stored text is canonical (written under
    // CANONICAL_TEXT_SETTINGS): ISO dates, explicit +00 offsets, shortest exact floats, hex bytea,
    // which every session reads back as the same value. The merger and the trigger read it pinned anyway.
    return [
      `${agg(quoteIdent(r.value))}::${r.type} AS ${quoteIdent(r.column)}`,
      `${agg(quoteIdent(r.stamp))} AS ${quoteIdent(r.stamp)}`,
      `${agg("origin")} AS ${quoteIdent(`${r.column}__o`)}`,
    ];
  });
  const best = (stamp: string, what: string): string =>
    `(array_agg(${what} ORDER BY ${stamp} DESC NULLS LAST, ${byCodePoint} DESC))[1]`;
  const alive = `(${best("ins__t", "ins__t")} IS NOT NULL AND (${best("del__t", "del__t")} IS NULL OR ROW(${best("ins__t", "ins__t")}, ${best("ins__t", byCodePoint)}) > ROW(${best("del__t", "del__t")}, ${best("del__t", byCodePoint)}))) AS alive__`;
  return `CREATE OR REPLACE VIEW ${layout.visibleView} AS
SELECT ${[...keys, ...counters, ...registers, alive].join(",\n  ")}
FROM (SELECT ${inner.join(", ")} FROM (${lifetimes}) s) s
GROUP BY ${part};`;
}
