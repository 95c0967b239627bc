import type { StateLayout } from "@georep/schema";
import { componentColumns, quoteIdent } from "@georep/schema";

/** One staged column: name and SQL type. */
export interface StageColumn {
  readonly name: string;
  readonly type: string;
}

/** Staged rows mirror the state table's columns: keys, origin, zone, components, registers, ins/del, birth. */
export function stageColumns(layout: StateLayout): StageColumn[] {
  return [
    ...layout.key.map((k) => ({ name: k.name, type: k.type })),
    { name: layout.origin, type: "text" },
    { name: layout.zone, type: "text" },
    ...componentColumns(layout).map((c) => ({ name: c, type: "bigint" })),
    ...layout.registers.flatMap((r) => [
      { name: r.value, type: "text" },
      { name: r.stamp, type: "bigint" },
    ]),
    { name: layout.insertStamp, type: "bigint" },
    { name: layout.deleteStamp, type: "bigint" },
    { name: layout.deleteBase, type: "jsonb" },
    { name: layout.born, type: "bigint" },
  ];
}

/** Session-local (pg_temp) names of a table's merge function and conflict-candidate table. */
export function tempNames(layout: StateLayout): { fn: string; cand: string } {
  const base = `${layout.spec.schema}__${layout.spec.name}`;
  return {
    fn: `pg_temp.${quoteIdent(`merge__${base}`)}`,
    cand: `pg_temp.${quoteIdent(`cand__${base}`)}`,
  };
}

/** The merge function's i-th staged-column parameter (the `g__` prefix: see keyVar). */
export const stageParam = (i: number): string => `g__p${i + 1}`;

/** The staged rows (the function's text arrays, cast to the state columns' types), aliased i. */
export function stagedRows(layout: StateLayout): string {
  const cols = stageColumns(layout);
  const names = cols.map((c) => quoteIdent(c.name));
  const casts = cols.map((c) => `x.${quoteIdent(c.name)}::${c.type} AS ${quoteIdent(c.name)}`);
  return `(SELECT ${casts.join(", ")} FROM unnest(${cols.map((_c, i) => stageParam(i)).join(", ")}) AS x(${names.join(", ")})) i`;
}
