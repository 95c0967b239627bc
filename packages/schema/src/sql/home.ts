import { quoteIdent, quoteLiteral } from "../identifiers.ts";
import type { TableSpec } from "../table-spec.ts";

/**
 * SQL expression for a row's home region, given how to read a column (`NEW.x`, `s.x`, ...).
 * Prefix rules compile to a CASE over literals that were validated by the spec schema.
 */
export function homeExpression(spec: TableSpec, column: (name: string) => string): string {
  const home = spec.home;
  switch (home.kind) {
    case "column":
      return column(home.column);
    case "prefix": {
      const arms = home.prefixes.map(
        (p) =>
          `WHEN starts_with(${column(home.column)}::text, ${quoteLiteral(p.prefix)}) THEN ${quoteLiteral(p.region)}`,
      );
      return `(CASE ${arms.join(" ")} ELSE ${quoteLiteral(home.otherwise)} END)`;
    }
  }
}

export const recordColumn =
  (record: string) =>
  (name: string): string =>
    `${record}.${quoteIdent(name)}`;
