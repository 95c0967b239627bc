import type { StateLayout } from "@georep/schema";
import { componentColumns, quoteIdent } from "@georep/schema";
import { keyList, keyMatch, stageColumns, stagedRows, touchedKeys } from "./common.ts";

const q = quoteIdent;

/** Locks the existing user rows of every touched key, in key order (deadlock-free against other mergers). */
export function lockUserRowsSql(layout: StateLayout): string {
  const keys = keyList(layout, "u");
  return `SELECT NULL FROM ${touchedKeys(layout)} JOIN ${layout.userTable} u ON ${keyMatch(layout, "u", "t")}
ORDER BY ${keys} FOR UPDATE OF u`;
}

/**
 * Merges the staged slices into the state rows (key, origin): counter components by max,
 * each register's (value, stamp) together when the incoming stamp is greater (NULL = never
 * written), ins__t by max, (del__t, del__base) together by stamp. Rows whose state would not
 * change are left alone (no dead tuple, no WAL), which makes re-deliveries cheap.
 */
export function upsertStateSql(layout: StateLayout): string {
  const cols = stageColumns(layout).map((c) => q(c.name));
  const conflictKey = [...layout.key.map((k) => q(k.name)), layout.origin].join(", ");
  const newer = (col: string): string => `excluded.${q(col)} > coalesce(s.${q(col)}, -1)`;
  const stamps = [layout.insertStamp, layout.deleteStamp, ...layout.registers.map((r) => r.stamp)];
  const top = (rel: string): string =>
    `coalesce(greatest(${stamps.map((c) => `${rel}.${q(c)}`).join(", ")}), -1)`;
  const set = [
    `zone = CASE WHEN ${top("excluded")} >= ${top("s")} THEN excluded.zone ELSE s.zone END`,
    ...componentColumns(layout).map((c) => `${q(c)} = greatest(s.${q(c)}, excluded.${q(c)})`),
    ...layout.registers.flatMap((r) => [
      `${q(r.value)} = CASE WHEN ${newer(r.stamp)} THEN excluded.${q(r.value)} ELSE s.${q(r.value)} END`,
      `${q(r.stamp)} = greatest(s.${q(r.stamp)}, excluded.${q(r.stamp)})`,
    ]),
    `${layout.insertStamp} = greatest(s.${layout.insertStamp}, excluded.${layout.insertStamp})`,
    `${layout.deleteBase} = CASE WHEN ${newer(layout.deleteStamp)} THEN excluded.${layout.deleteBase} ELSE s.${layout.deleteBase} END`,
    `${layout.deleteStamp} = greatest(s.${layout.deleteStamp}, excluded.${layout.deleteStamp})`,
  ];
  const changes = [
    ...componentColumns(layout).map((c) => `excluded.${q(c)} > s.${q(c)}`),
    ...stamps.map(newer),
  ];
  return `INSERT INTO ${layout.stateTable} AS s (${cols.join(", ")})
SELECT ${cols.join(", ")} FROM ${stagedRows(layout)} ORDER BY ${conflictKey}
ON CONFLICT (${conflictKey}) DO UPDATE SET ${set.join(",\n  ")}
WHERE ${changes.join(" OR ")}`;
}
