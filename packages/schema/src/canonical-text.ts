/**
 * Session settings every `::text` form depends on (date/time and interval styles, the time zone,
 * float digits), pinned wherever two regions must produce the same text for the same value: key
 * ranges and digests compared across regions whose servers are configured differently.
 * For SET LOCAL, so run it inside a transaction.
 */
export const CANONICAL_TEXT_SETTINGS_SQL =
  "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL TimeZone = 'UTC'; SET LOCAL extra_float_digits = 1";
