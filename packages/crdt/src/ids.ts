import { InvalidIdError } from "./errors.ts";

/** A region's id, e.g. "us-east". Also the key of its component in every counter. */
export type RegionId = string;
/** A replicated column's name. */
export type ColumnName = string;

// States are plain objects keyed by region and column: plain objects merge 3-10x faster than
// Maps or null-prototype objects in V8. The price is that a key must never shadow an
// Object.prototype member ("__proto__", "constructor", ...), so keys are checked at every edge
// (local writes and decoding) and the hot paths can trust them.
export const REGION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const COLUMN_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
export const REGION_ID_EXPECTED =
  "1-63 characters of [A-Za-z0-9_.-], starting with a letter or digit";
export const COLUMN_NAME_EXPECTED =
  "an identifier of 1-63 characters [A-Za-z0-9_], not starting with a digit";

const shadowsPrototype = (id: string): boolean => id in Object.prototype;

export const isRegionId = (id: unknown): id is RegionId =>
  typeof id === "string" && REGION_ID_PATTERN.test(id) && !shadowsPrototype(id);

export const isColumnName = (id: unknown): id is ColumnName =>
  typeof id === "string" && COLUMN_NAME_PATTERN.test(id) && !shadowsPrototype(id);

/** @throws InvalidIdError */
export function assertRegionId(id: unknown): asserts id is RegionId {
  if (!isRegionId(id)) throw new InvalidIdError("region", id, REGION_ID_EXPECTED);
}

/** @throws InvalidIdError */
export function assertColumnName(id: unknown): asserts id is ColumnName {
  if (!isColumnName(id)) throw new InvalidIdError("column", id, COLUMN_NAME_EXPECTED);
}
