import { quoteIdent, quoteLiteral } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";
import { homeExpression, recordColumn } from "./home.ts";
import { CANONICAL_TEXT_SETTINGS_SQL } from "../canonical-text.ts";

/**
 * Rows that existed before georep was installed on a table become this region's own state, as
 * if they had just been inserted here, so the reader's initial emit ships them. Attach existing
 * data in one region only: the same rows pre-loaded in two regions would be counted twice.
 * Register values are stored as text, so in the canonical text settings, as the capture trigger
 * writes them (SET LOCAL: the installer's transaction).
 */
export function backfillSql(layout: StateLayout, replica: string): string {
  const q = quoteIdent;
  const keys = layout.key.map((k) => q(k.name));
  const cols = [
    ...keys,
    "origin",
    "zone",
    ...layout.counters.flatMap((c) => (c.n === undefined ? [q(c.p)] : [q(c.p), q(c.n)])),
    ...layout.registers.flatMap((r) => [q(r.value), q(r.stamp)]),
    "ins__t",
    q(layout.born),
  ];
  const home = homeExpression(layout.spec, recordColumn("t"));
  const values = [
    ...keys.map((k) => `t.${k}`),
    quoteLiteral(replica),
    `(SELECT r.zone FROM georep.regions r WHERE r.id = ${home})`,
    ...layout.counters.flatMap((c) =>
      c.n === undefined
        ? [`t.${q(c.column)}`]
        : [`greatest(t.${q(c.column)}, 0)`, `greatest(-t.${q(c.column)}, 0)`],
    ),
    ...layout.registers.flatMap((r) => [`t.${q(r.column)}::text`, "s.stamp"]),
    "s.stamp",
    // Born at its insert, as a local insert is (docs/data-model.md, "Lifetimes").
    "s.stamp",
  ];
  return `${CANONICAL_TEXT_SETTINGS_SQL};
INSERT INTO ${layout.stateTable} (${cols.join(", ")})
SELECT ${values.join(", ")} FROM ${layout.userTable} t CROSS JOIN (SELECT georep.wall_stamp() AS stamp) s
ON CONFLICT DO NOTHING;`;
}
