import { quoteIdent, quoteLiteral } from "@georep/schema";
import type { StateLayout } from "@georep/schema";

/**
 * Which state rows a repair into one target region looks at, on both sides alike:
 * - rows the target may hold at all: no residency zone, or the target's own zone (a row homed
 *   in a zone is never copied out of it);
 * - not the target's current replica: only its own trigger writes those, and the target always
 *   holds the newest of them.
 */
export interface RepairScope {
  /** The target's residency zone, if any. */
  readonly zone: string | undefined;
  /** The target's current replica id. */
  readonly excludeReplica: string;
  /** Number of key-hash ranges (buckets). */
  readonly buckets: number;
}

/** The bucket of a state row (alias `s`): a hash of its key's canonical text. */
export function bucketSql(layout: StateLayout, buckets: number): string {
  const key = layout.key.map((k) => `s.${quoteIdent(k.name)}`).join(", ");
  // int8 before abs: abs(-2^31) overflows an int4.
  return `(abs(hashtext(ROW(${key})::text)::int8) % ${buckets})::int`;
}

/** The WHERE clause of a scope, for state table alias `s`. */
export function scopeSql(scope: RepairScope): string {
  const zone =
    scope.zone === undefined
      ? "s.zone IS NULL"
      : `(s.zone IS NULL OR s.zone = ${quoteLiteral(scope.zone)})`;
  return `${zone} AND s.origin <> ${quoteLiteral(scope.excludeReplica)}`;
}
