import { z } from "zod";
import type { $ZodIssue } from "zod/v4/core";
import {
  CODEC_VERSION,
  checkDisjoint,
  gcounterBody,
  pncounterBody,
  registerValueSchema,
  rowBody,
  stampBody,
  toRowState,
} from "./codec-schemas.ts";
import { CodecError, UnsupportedVersionError } from "./errors.ts";
import type { GCounter } from "./gcounter.ts";
import type { RegionId } from "./ids.ts";
import type { LwwRegister, RegisterValue } from "./lww-register.ts";
import type { PNCounter } from "./pncounter.ts";
import type { RowState } from "./row.ts";
import { encodeCounts, encodeRowBody } from "./codec-encode.ts";
import { fastDecodeRow } from "./codec-fast.ts";
import { findProtoKey } from "./codec-guard.ts";
import type { EncodedCounts, EncodedRowBody } from "./codec-encode.ts";

export type EncodedGCounter = {
  readonly v: 1;
  readonly type: "gcounter";
  readonly counts: EncodedCounts;
};
export type EncodedPNCounter = {
  readonly v: 1;
  readonly type: "pncounter";
  readonly p: EncodedCounts;
  readonly n: EncodedCounts;
};
export type EncodedLwwRegister = {
  readonly v: 1;
  readonly type: "lww";
  readonly value: RegisterValue;
  readonly stamp: string;
  readonly region: RegionId;
};
export type EncodedRow = { readonly v: 1; readonly type: "row" } & EncodedRowBody;
export type EncodedRowDelta = { readonly v: 1; readonly type: "row-delta" } & EncodedRowBody;

const v = z.literal(CODEC_VERSION);
const gcounterEnvelope = z.strictObject({ v, type: z.literal("gcounter"), ...gcounterBody });
const pncounterEnvelope = z.strictObject({ v, type: z.literal("pncounter"), ...pncounterBody });
const lwwEnvelope = z.strictObject({
  v,
  type: z.literal("lww"),
  value: registerValueSchema,
  ...stampBody,
});
const rowEnvelope = z
  .strictObject({ v, type: z.literal("row"), ...rowBody })
  .superRefine(checkDisjoint)
  .transform(toRowState);
const rowDeltaEnvelope = z
  .strictObject({ v, type: z.literal("row-delta"), ...rowBody })
  .superRefine(checkDisjoint)
  .transform(toRowState);

/** The innermost, most specific message of a zod issue. */
function expectedOf(issue: $ZodIssue): string {
  if (issue.code === "invalid_key") return `bad key: ${issue.issues[0]?.message ?? issue.message}`;
  if (
    issue.code === "invalid_union" &&
    issue.errors.length > 0 &&
    issue.message === "Invalid input"
  ) {
    return issue.errors.map((branch) => branch[0]?.message).join(" | ");
  }
  return issue.message;
}

/**
 * Validates `input` (a JSON-decoded value) against an envelope schema.
 * @throws UnsupportedVersionError when `v` is not a version we read; CodecError naming the path
 *   of the first bad field and what was expected there.
 */
function decodeWith<T>(what: string, schema: z.ZodType<T>, input: unknown): T {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new CodecError(
      what,
      [],
      `expected a JSON object envelope, got ${Array.isArray(input) ? "an array" : typeof input}`,
    );
  }
  const version = (input as { v?: unknown }).v;
  if (version !== CODEC_VERSION) throw new UnsupportedVersionError(what, version, [CODEC_VERSION]);
  const protoPath = findProtoKey(input);
  if (protoPath)
    throw new CodecError(
      what,
      protoPath,
      "bad key: `__proto__` is never a valid region id or column name",
    );
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new CodecError(
    what,
    (issue?.path ?? []).map((p) => (typeof p === "symbol" ? String(p) : p)),
    issue ? expectedOf(issue) : "invalid input",
    {
      cause: result.error,
    },
  );
}

export const encodeGCounter = (c: GCounter): EncodedGCounter => ({
  v: 1,
  type: "gcounter",
  counts: encodeCounts(c),
});
/** @throws CodecError, UnsupportedVersionError */
export const decodeGCounter = (input: unknown): GCounter => {
  const { counts } = decodeWith("gcounter", gcounterEnvelope, input);
  return { type: "gcounter", counts };
};

export const encodePNCounter = (c: PNCounter): EncodedPNCounter => ({
  v: 1,
  type: "pncounter",
  p: encodeCounts(c.p),
  n: encodeCounts(c.n),
});
/** @throws CodecError, UnsupportedVersionError */
export const decodePNCounter = (input: unknown): PNCounter => {
  const { p, n } = decodeWith("pncounter", pncounterEnvelope, input);
  return {
    type: "pncounter",
    p: { type: "gcounter", counts: p },
    n: { type: "gcounter", counts: n },
  };
};

export const encodeLwwRegister = (r: LwwRegister): EncodedLwwRegister => ({
  v: 1,
  type: "lww",
  value: r.value,
  stamp: r.stamp.toString(),
  region: r.region,
});
/** @throws CodecError, UnsupportedVersionError */
export const decodeLwwRegister = (input: unknown): LwwRegister => {
  const { value, stamp, region } = decodeWith("lww register", lwwEnvelope, input);
  return { value, stamp, region };
};

/** The zod path alone, without the fast path: for tests holding the two to agreement. */
export const decodeRowWithSchema = (input: unknown, type: "row" | "row-delta"): RowState =>
  type === "row"
    ? decodeWith("row", rowEnvelope, input)
    : decodeWith("row-delta", rowDeltaEnvelope, input);

export const encodeRow = (row: RowState): EncodedRow => ({
  v: 1,
  type: "row",
  ...encodeRowBody(row),
});
/**
 * Decodes a row envelope: a hand-written fast path for well-formed input, zod for everything
 * else (and for every error).
 * @throws CodecError, UnsupportedVersionError
 */
export const decodeRow = (input: unknown): RowState =>
  fastDecodeRow(input, "row") ?? decodeWith("row", rowEnvelope, input);

export const encodeRowDelta = (delta: RowState): EncodedRowDelta => ({
  v: 1,
  type: "row-delta",
  ...encodeRowBody(delta),
});
/** @throws CodecError, UnsupportedVersionError */
export const decodeRowDelta = (input: unknown): RowState =>
  fastDecodeRow(input, "row-delta") ?? decodeWith("row-delta", rowDeltaEnvelope, input);
