import { z } from "zod";

/**
 * Identifiers are restricted to lower-case SQL names before any SQL is built, so quoting is a
 * belt on top of braces: nothing a spec says can end up as SQL syntax.
 */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const MAX_IDENTIFIER = 63; // NAMEDATALEN - 1: PostgreSQL would silently truncate longer names.

export const identifierSchema = z
  .string()
  .regex(IDENTIFIER, {
    message:
      "must be a lower-case SQL identifier ([a-z_][a-z0-9_]*); rename it or quote-free alias it",
  })
  .max(MAX_IDENTIFIER, { message: `must be at most ${MAX_IDENTIFIER} characters` })
  .refine((name) => !name.includes("__"), {
    message: "must not contain '__' (reserved for georep's engine columns); rename it",
  });

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
