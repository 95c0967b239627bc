import { quoteLiteral } from "./identifiers.ts";

/**
 * Session settings every `::text` form depends on (date/time and interval styles, the time zone,
 * float digits, bytea's format), pinned wherever a value's text must not depend on the session:
 * register values written as text by the capture trigger and read back by the merge, key ranges
 * and digests compared across regions whose servers are configured differently.
 * The one definition: the SET LOCAL string and the functions' SET clauses derive from it.
 * (extra_float_digits 1: the shortest text that reads back as the exact same double.)
 */
export const CANONICAL_TEXT_SETTINGS: ReadonlyArray<readonly [name: string, value: string]> = [
  ["DateStyle", "ISO, YMD"],
  ["IntervalStyle", "postgres"],
  ["TimeZone", "UTC"],
  ["extra_float_digits", "1"],
  ["bytea_output", "hex"],
];

/** For a client's transaction: SET LOCAL, so run it inside one. */
export const CANONICAL_TEXT_SETTINGS_SQL = CANONICAL_TEXT_SETTINGS.map(
  ([name, value]) => `SET LOCAL ${name} = ${quoteLiteral(value)}`,
).join("; ");

/**
 * SET clauses of CREATE FUNCTION: the function body runs with them whatever its caller's session
 * says, and the caller's values are back when it returns.
 */
export const CANONICAL_TEXT_FUNCTION_SET = CANONICAL_TEXT_SETTINGS.map(
  ([name, value]) => `SET ${name} = ${quoteLiteral(value)}`,
).join(" ");

/**
 * The same settings as a connection's startup options (pg's `options`): every statement of the
 * session uses them, and on a replication connection so does the text of every value pgoutput
 * sends (the reader ships keys as that text).
 */
export const CANONICAL_TEXT_STARTUP_OPTIONS = CANONICAL_TEXT_SETTINGS.map(
  ([name, value]) => `-c ${name}=${value.replaceAll(" ", "\\ ")}`,
).join(" ");

/** Spec types whose text form none of the settings above changes (anything else is pinned). */
const SETTLED_TEXT =
  /^(text|varchar\(\d+\)|bigint|integer|smallint|boolean|numeric(\(\d+, ?\d+\))?|jsonb|uuid)$/;

/**
 * The SET clauses for a function that converts values of these types to or from text, or ""
 * when no such text depends on the session: each clause costs ~1 µs per call, which on a
 * per-row trigger over text and bigint columns would buy nothing.
 */
export function canonicalTextSetFor(types: readonly string[]): string {
  return types.some((t) => !SETTLED_TEXT.test(t)) ? CANONICAL_TEXT_FUNCTION_SET : "";
}
