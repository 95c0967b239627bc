import { z } from "zod";
import { SpecError } from "./errors.ts";
import { regionIdSchema } from "@georep/contract";
import { identifierSchema } from "./identifiers.ts";
import { firstIssue } from "./zod-issue.ts";

/**
 * A declared replicated table. Types come from a closed list so a spec can never smuggle SQL
 * into the DDL the compiler writes.
 */
const pgTypeSchema = z
  .string()
  .regex(
    /^(text|bigint|integer|smallint|boolean|timestamptz|timestamp|date|numeric|double precision|real|jsonb|uuid|bytea|varchar\([1-9][0-9]{0,4}\)|numeric\([1-9][0-9]?, ?[0-9][0-9]?\))$/,
    {
      message:
        "must be one of text, bigint, integer, smallint, boolean, timestamptz, timestamp, date, numeric[(p,s)], double precision, real, jsonb, uuid, bytea, varchar(n)",
    },
  );

const keyColumnSchema = z.object({ name: identifierSchema, type: pgTypeSchema }).strict();

const columnSchema = z
  .object({
    name: identifierSchema,
    type: pgTypeSchema,
    crdt: z.enum(["gcounter", "pncounter", "lww"], {
      message:
        "must be 'gcounter' (grow-only count), 'pncounter' (count that may go down) or 'lww' (last-writer-wins value)",
    }),
  })
  .strict();

const homeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("column"), column: identifierSchema }).strict(),
  z
    .object({
      kind: z.literal("prefix"),
      column: identifierSchema,
      prefixes: z
        .array(
          z
            .object({ prefix: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/), region: regionIdSchema })
            .strict(),
        )
        .min(1),
      otherwise: regionIdSchema,
    })
    .strict(),
]);

export const tableSpecSchema = z
  .object({
    schema: identifierSchema.default("public"),
    name: identifierSchema,
    key: z.array(keyColumnSchema).min(1, { message: "needs at least one key column" }),
    columns: z.array(columnSchema).min(1, { message: "needs at least one replicated column" }),
    home: homeSchema,
    policy: z.enum(["lww", "home-wins"]).default("lww"),
  })
  .strict();

export type TableSpec = z.output<typeof tableSpecSchema>;
export type TableSpecInput = z.input<typeof tableSpecSchema>;
export type ColumnSpec = TableSpec["columns"][number];
export type KeyColumnSpec = TableSpec["key"][number];

/** Parses and cross-checks a spec; throws SpecError naming the table, the field and the fix. */
export function parseTableSpec(input: unknown): TableSpec {
  const parsed = tableSpecSchema.safeParse(input);
  const table = nameOf(input);
  if (!parsed.success) {
    const { field, text } = firstIssue(parsed.error);
    throw new SpecError(`table spec '${table}': ${text}`, field, { cause: parsed.error });
  }
  crossCheck(parsed.data);
  return parsed.data;
}

/**
 * The table's name as the input gives it, for the message: short, and never String() of a
 * value (an object with a "toString" key throws there).
 */
function nameOf(input: unknown): string {
  const name =
    typeof input === "object" && input !== null ? (input as { name?: unknown }).name : undefined;
  if (typeof name !== "string") return "?";
  return name.length > 80 ? `${name.slice(0, 80)}…` : name;
}

function crossCheck(spec: TableSpec): void {
  const fail = (field: string, message: string): never => {
    throw new SpecError(`table spec '${spec.name}': ${field} ${message}`, field);
  };
  const names = new Set<string>();
  const all = [
    ...spec.key.map((c, i) => [c.name, `key[${i}]`]),
    ...spec.columns.map((c, i) => [c.name, `columns[${i}]`]),
  ];
  for (const [name = "", where = ""] of all) {
    if (names.has(name))
      fail(`${where}.name`, `'${name}' is declared twice; give each column one entry`);
    names.add(name);
  }
  spec.columns.forEach((col, i) => {
    if (col.crdt !== "lww" && col.type !== "bigint") {
      fail(
        `columns[${i}].type`,
        `'${col.name}' is a ${col.crdt} and must be bigint (counts are exact integers)`,
      );
    }
  });
  const home = spec.home;
  const homeColumn = spec.columns.find((c) => c.name === home.column);
  if (home.kind === "column" && (homeColumn?.crdt !== "lww" || homeColumn.type !== "text")) {
    fail(
      "home.column",
      `'${home.column}' must name an lww column of type text holding a region id`,
    );
  }
  if (home.kind === "prefix" && !names.has(home.column)) {
    fail(
      "home.column",
      `'${home.column}' is not a column of the table; name a key or replicated column`,
    );
  }
}
