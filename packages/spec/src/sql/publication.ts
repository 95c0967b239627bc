import { quoteLiteral } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";

export const PUBLICATION = "georep_out";

/**
 * The publication the region's reader streams. Row filters keep only this region's own state
 * rows (origin = region) and its own heartbeat, so merged-in state is never shipped back (no
 * echo) without needing PostgreSQL 16's origin filter. Only inserts and updates: state rows are
 * never deleted except by tombstone collection, which every region does for itself.
 */
export function publicationSql(
  layouts: readonly StateLayout[],
  region: string,
  exists: boolean,
): string {
  const own = quoteLiteral(region);
  const tables = [
    ...layouts.map((l) => `${l.stateTable} WHERE (origin = ${own})`),
    `georep.heartbeat WHERE (region = ${own})`,
  ].join(", ");
  return exists
    ? `ALTER PUBLICATION ${PUBLICATION} SET TABLE ${tables};`
    : `CREATE PUBLICATION ${PUBLICATION} FOR TABLE ${tables} WITH (publish = 'insert, update');`;
}
