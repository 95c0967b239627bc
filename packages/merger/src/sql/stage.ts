import type { StateLayout } from "@georep/schema";
import { componentColumns, quoteIdent, keyVar } from "@georep/schema";
import type { StagedRow } from "../staging.ts";
import { stageParam, tempNames } from "./common.ts";

/**
 * Staging: the batch's rows reach the merge function as one text array per state column and are
 * read with `unnest` by each statement that needs them (no staging table to fill and truncate).
 * The conflict-candidate table is session-local, created once per connection, emptied at commit.
 */
export function createCandidateTableSql(layout: StateLayout): string {
  const keys = layout.key.map((k) => `${quoteIdent(k.name)} ${k.type}`);
  const cols = [
    ...keys,
    "origin text",
    "column_name text",
    "v text",
    "t bigint",
    "pre_v text",
    "pre_t bigint",
    "pre_o text",
  ];
  return `CREATE TEMP TABLE IF NOT EXISTS ${tempNames(layout).cand} (${cols.join(", ")}) ON COMMIT DELETE ROWS;`;
}

/**
 * Fills the key arrays: the distinct staged keys, cast to their types. Their order does not
 * matter: the statements that lock or insert user rows sort by key themselves.
 */
export function touchedKeysSql(layout: StateLayout): string {
  const idx = layout.key.map((_k, i) => i);
  const casts = layout.key.map((k, i) => `x.c${i}::${k.type}`).join(", ");
  return `SELECT ${idx.map((i) => `array_agg(d.c${i})`).join(", ")}
  INTO ${idx.map(keyVar).join(", ")}
  FROM (SELECT DISTINCT ${casts} FROM unnest(${idx.map(stageParam).join(", ")}) AS x(${idx.map((i) => `c${i}`).join(", ")})) d(${idx.map((i) => `c${i}`).join(", ")})`;
}

/** One text array per staging column, in stageColumns order; NULL stays NULL, missing components are 0. */
export function stageParams(
  layout: StateLayout,
  rows: readonly StagedRow[],
): Array<Array<string | null>> {
  const keys = layout.key.map((_k, i) => rows.map((r) => r.key[i] ?? null));
  const comps = componentColumns(layout).map((c) =>
    rows.map((r) => (r.counters.get(c) ?? 0n).toString()),
  );
  const regs = layout.registers.flatMap((reg) => [
    rows.map((r) => r.registers.get(reg.column)?.v ?? null),
    rows.map((r) => r.registers.get(reg.column)?.t.toString() ?? null),
  ]);
  return [
    ...keys,
    rows.map((r) => r.replica),
    rows.map((r) => r.zone),
    ...comps,
    ...regs,
    rows.map((r) => r.ins?.toString() ?? null),
    rows.map((r) => r.del?.toString() ?? null),
    rows.map((r) =>
      r.delBase === null || r.delBase === undefined ? null : JSON.stringify(r.delBase),
    ),
    rows.map((r) => r.born.toString()),
  ];
}
