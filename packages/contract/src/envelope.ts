import { z } from "zod";
import { regionIdSchema, replicaIdSchema } from "./region-id.ts";
import { zoneIdSchema } from "./zone-id.ts";

/**
 * The message contract between a region's shipper and every other region's merger.
 * One Kafka message carries one envelope; a `rows` envelope holds the latest state slices of
 * one origin for keys that hash to the same partition. Every number that may exceed 2^53 (HLC
 * stamps, counter components) travels as a decimal string.
 */
export const ENVELOPE_VERSION = 1;

const decimal = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,18})$/, { message: "must be a non-negative decimal integer string" });
const lsn = z
  .string()
  .regex(/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/, { message: "must be an LSN like 16/B374D848" });
/** A UTF-16 surrogate without its other half: text no UTF-8 encoding can carry. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/**
 * A key or register value: text PostgreSQL can hold. A shipper reads every value from PostgreSQL,
 * so a NUL or a lone surrogate comes only from a broken producer; refused here (dead-lettered),
 * because PostgreSQL refuses a NUL (and so does the quarantine's jsonb copy of the envelope) and
 * node-postgres would silently send U+FFFD for a lone surrogate.
 */
const pgText = z.string().refine((s) => !s.includes("\u0000") && !LONE_SURROGATE.test(s), {
  message: "must be text PostgreSQL can hold: no NUL (\\u0000), no lone UTF-16 surrogate",
});
const column = z.string().regex(/^[a-z_][a-z0-9_]*$/, { message: "must be a column name" });

/** One origin's CRDT state for one row: what that origin wrote, never what it merged in. */
export const rowSliceSchema = z
  .object({
    /** "schema.table" */
    table: z.string().regex(/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/),
    /** Key column -> value in PostgreSQL text form (cast back with the column's type). */
    key: z.record(column, pgText),
    /** The row's residency zone (null: none; the row travels on the origin topic). */
    zone: zoneIdSchema.nullable(),
    /** State component column (e.g. people_in__p) -> this origin's component. */
    counters: z.record(column, decimal),
    /** Register column -> this origin's latest write: text value (null = SQL NULL) and HLC stamp. */
    registers: z.record(column, z.object({ v: pgText.nullable(), t: decimal }).strict()),
    ins: decimal.nullable(),
    del: decimal.nullable(),
    /** Tombstone base: replica -> component column -> component observed at delete time. */
    delBase: z.record(replicaIdSchema, z.record(column, decimal)).nullable(),
    /**
     * When this lifetime of the origin's share began (docs/data-model.md, "Lifetimes"); a greater
     * one replaces the share whole. Absent: 0, as from a region that predates lifetimes.
     */
    born: decimal.optional(),
  })
  .strict();

const common = {
  v: z.literal(ENVELOPE_VERSION),
  origin: regionIdSchema,
  /**
   * The incarnation of `origin` the rows belong to (absent: incarnation 1, the bare region id).
   * A region ships only its own replicas: the merger refuses one of another region.
   */
  replica: replicaIdSchema.optional(),
  /** End LSN of the source transaction (the newest one folded into this envelope). */
  lsn,
  /** Source commit time, epoch milliseconds. */
  commitTime: z.number().int().nonnegative(),
};

/**
 * What a heartbeat tells peers for tombstone collection (docs/data-model.md, "Tombstones").
 * Optional: heartbeats of a region that predates it carry none, and only hold collection back.
 */
export const heartbeatProgressSchema = z
  .object({
    /** Every change of the origin committed after this heartbeat is stamped at or above this. */
    stable: decimal,
    /**
     * Per other origin: this region has applied every change of that origin stamped below the
     * value. An origin is absent while that is not known (a partition never heard from, rows
     * of it set aside in the quarantine).
     */
    applied: z.record(regionIdSchema, decimal),
  })
  .strict();

export const envelopeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("rows"), ...common, rows: z.array(rowSliceSchema).min(1) }).strict(),
  z
    .object({
      kind: z.literal("heartbeat"),
      ...common,
      stamp: decimal,
      progress: heartbeatProgressSchema.optional(),
    })
    .strict(),
]);

export type RowSlice = z.infer<typeof rowSliceSchema>;
export type Envelope = z.infer<typeof envelopeSchema>;
export type RowsEnvelope = Extract<Envelope, { kind: "rows" }>;
export type HeartbeatEnvelope = Extract<Envelope, { kind: "heartbeat" }>;
export type HeartbeatProgress = z.infer<typeof heartbeatProgressSchema>;
