import { quoteLiteral } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";

export const PUBLICATION = "georep_out";

/**
 * The publication the region's reader streams. Row filters keep only this region's own state
 * rows (origin = the region's current replica, see docs/data-model.md) and its own heartbeat, so merged-in state is never shipped back (no
 * echo) without needing PostgreSQL 16's origin filter. Only inserts and updates: state rows are
 * never deleted except by tombstone collection, which every region does for itself.
 */
export function publicationSql(
  layouts: readonly StateLayout[],
  local: { readonly region: string; readonly replica: string },
  exists: boolean,
): string {
  // Only the current incarnation's rows: earlier ones change here only when repair merges what
  // peers hold of them, and peers need nothing back from that.
  const own = quoteLiteral(local.replica);
  const tables = [
    ...layouts.map((l) => `${l.stateTable} WHERE (origin = ${own})`),
    `georep.heartbeat WHERE (region = ${quoteLiteral(local.region)})`,
  ].join(", ");
  return exists
    ? `ALTER PUBLICATION ${PUBLICATION} SET TABLE ${tables};`
    : `CREATE PUBLICATION ${PUBLICATION} FOR TABLE ${tables} WITH (publish = 'insert, update');`;
}
