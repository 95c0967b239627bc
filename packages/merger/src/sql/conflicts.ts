import type { StateLayout } from "@georep/schema";
import { quoteIdent, quoteLiteral, keyList, keyMatch, visibleOf } from "@georep/schema";
import { stagedRows, tempNames } from "./common.ts";

const q = quoteIdent;

/** `CASE col WHEN 'a' THEN <a expr> … END`: picks one register's field of a visible row. */
function pick(
  layout: StateLayout,
  field: (reg: StateLayout["registers"][number]) => string,
): string {
  return `CASE c.column_name ${layout.registers.map((r) => `WHEN ${quoteLiteral(r.column)} THEN ${field(r)}`).join(" ")} END`;
}

/**
 * Before the upsert: the incoming register writes that carry news (stamp above what this region
 * holds for that origin), each with the winner it is about to meet. Only news is considered, so
 * a re-delivered batch never records a conflict twice.
 *
 * The winner held before is read from the visible view only for keys where a share of another
 * origin is held: elsewhere it is the write's own origin or none, which the final filter drops
 * anyway (several origins in one batch need no held winner: the ledger compares them after the
 * upsert). Skipping the view for a key written in its home region only, the common case, took
 * about 7% off a 100-row batch with register writes (docs/merge.md, apply-profile).
 */
export function conflictCandidatesSql(layout: StateLayout): string {
  const { cand } = tempNames(layout);
  const values = layout.registers.map(
    (r) => `(${quoteLiteral(r.column)}, i.${q(r.value)}, i.${q(r.stamp)}, s.${q(r.stamp)})`,
  );
  return `WITH fresh AS MATERIALIZED (
  SELECT ${keyList(layout, "i")}, i.origin, r.column_name, r.v, r.t,
    min(i.origin) OVER w <> max(i.origin) OVER w AS several
  FROM ${stagedRows(layout)}
  LEFT JOIN ${layout.stateTable} s ON ${keyMatch(layout, "s", "i")} AND s.origin = i.origin
  CROSS JOIN LATERAL (VALUES ${values.join(", ")}) r(column_name, v, t, stored_t)
  WHERE r.t IS NOT NULL AND r.t > coalesce(r.stored_t, -1)
  WINDOW w AS (PARTITION BY ${keyList(layout, "i")}, r.column_name)),
pre AS (SELECT v.* FROM (
    SELECT DISTINCT ${keyList(layout, "f")} FROM (SELECT DISTINCT ${keyList(layout)}, origin FROM fresh) f
    WHERE EXISTS (SELECT 1 FROM ${layout.stateTable} o WHERE ${keyMatch(layout, "o", "f")} AND o.origin <> f.origin)
  ) t ${visibleOf(layout)})
INSERT INTO ${cand} (${keyList(layout)}, origin, column_name, v, t, pre_v, pre_t, pre_o)
SELECT ${keyList(layout, "c")}, c.origin, c.column_name, c.v, c.t, x.pre_v, x.pre_t, x.pre_o
FROM fresh c LEFT JOIN pre v ON ${keyMatch(layout, "v", "c")}
CROSS JOIN LATERAL (SELECT ${pick(layout, (r) => `v.${q(r.column)}::text`)}, ${pick(layout, (r) => `v.${q(r.stamp)}`)}, ${pick(layout, (r) => `v.${q(`${r.column}__o`)}`)}) x(pre_v, pre_t, pre_o)
-- Only a write that meets another region's value can conflict.
WHERE (x.pre_o IS NOT NULL AND x.pre_o <> c.origin) OR c.several`;
}

/**
 * After the upsert: a candidate that became the winner over another region's different value
 * records (winner = candidate, loser = previous winner); a candidate that lost to another region's
 * different value records (winner = current winner, loser = candidate).
 */
export function recordConflictsSql(layout: StateLayout): string {
  const { cand } = tempNames(layout);
  const rowKey = `jsonb_build_object(${layout.key.map((k) => `${quoteLiteral(k.name)}, c.${q(k.name)}`).join(", ")})`;
  const table = quoteLiteral(`${layout.spec.schema}.${layout.spec.name}`);
  return `INSERT INTO georep.conflicts (table_name, row_key, column_name, winner_value, winner_stamp, winner_region, loser_value, loser_stamp, loser_region)
SELECT ${table}, ${rowKey}, c.column_name, x.wv, x.wt, x.wo, x.lv, x.lt, x.lo
FROM ${cand} c
JOIN (SELECT v.* FROM (SELECT DISTINCT ${keyList(layout)} FROM ${cand}) t ${visibleOf(layout)}) v ON ${keyMatch(layout, "v", "c")}
CROSS JOIN LATERAL (SELECT ${pick(layout, (r) => `v.${q(r.column)}::text`)}, ${pick(layout, (r) => `v.${q(r.stamp)}`)}, ${pick(layout, (r) => `v.${q(`${r.column}__o`)}`)}) p(post_v, post_t, post_o)
CROSS JOIN LATERAL (
  SELECT c.v, c.t, c.origin, c.pre_v, c.pre_t, c.pre_o
  WHERE p.post_o = c.origin AND p.post_t = c.t
    AND c.pre_o IS NOT NULL AND c.pre_o <> c.origin AND c.pre_v IS DISTINCT FROM c.v
  UNION ALL
  SELECT p.post_v, p.post_t, p.post_o, c.v, c.t, c.origin
  WHERE NOT (p.post_o = c.origin AND p.post_t = c.t)
    AND p.post_o IS NOT NULL AND p.post_o <> c.origin AND p.post_v IS DISTINCT FROM c.v
) x(wv, wt, wo, lv, lt, lo)`;
}
