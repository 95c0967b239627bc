import { quoteLiteral } from "@georep/schema";

/**
 * How every read of a source begins. With `snapshot` (an id from `pg_export_snapshot()` in a
 * transaction the caller keeps open), every page sees the same moment of the source: a region
 * added or rebuilt from it gets a consistent copy, matching the progress read in that moment.
 */
export function beginReadSql(snapshot: string | undefined): string {
  return snapshot === undefined
    ? "BEGIN READ ONLY"
    : `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot)}`;
}
