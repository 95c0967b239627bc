// Hostile Kafka message values for the merger: random bytes, and valid envelopes of real table
// specs truncated, bit-flipped or mutated field by field. Shared by the routing property (unit)
// and the merge property (integration).
import fc from "fast-check";
import { packHlc } from "@georep/crdt";
import type { MergerDeadLetterReason, RoutingContext, SourceTopic } from "@georep/merger";
import { countingResultsSpec, parseTableSpec, stateLayout } from "@georep/schema";
import type { TableSpec } from "@georep/schema";
import { hostileValue, mutate, mutateAll, mutationArb, pathsOf, setAt } from "./hostile-values.ts";

export const ORIGIN = "us-east";
export const REGION = "eu-west";
export const ZONE = "eu";
export const REGIONS = [{ id: ORIGIN }, { id: REGION, zone: ZONE }, { id: "ap-south" }];
export const ORIGIN_TOPIC: SourceTopic = {
  topic: `georep.${ORIGIN}`,
  origin: ORIGIN,
  zone: undefined,
};
export const ZONE_TOPIC: SourceTopic = {
  topic: `georep.${ORIGIN}.zone.${ZONE}`,
  origin: ORIGIN,
  zone: ZONE,
};

/** The camera table as shipped, and a table of every other kind of column a cast can refuse. */
export const COUNTING = parseTableSpec(countingResultsSpec);
export const ITEMS = parseTableSpec({
  schema: "public",
  name: "hostile_items",
  key: [{ name: "id", type: "bigint" }],
  columns: [
    { name: "hits", type: "bigint", crdt: "gcounter" },
    { name: "balance", type: "bigint", crdt: "pncounter" },
    { name: "label", type: "text", crdt: "lww" },
    { name: "doc", type: "jsonb", crdt: "lww" },
    { name: "n", type: "integer", crdt: "lww" },
    { name: "at", type: "timestamptz", crdt: "lww" },
    { name: "home", type: "text", crdt: "lww" },
  ],
  home: { kind: "column", column: "home" },
});
export const TABLES: readonly TableSpec[] = [COUNTING, ITEMS];

/** What the merger of REGION routes with; `maxBytes` low enough that oversized cases are cheap. */
export const routingContext = (maxBytes = 256 * 1024): RoutingContext => ({
  region: REGION,
  regions: REGIONS,
  layouts: new Map(TABLES.map((t) => [`${t.schema}.${t.name}`, stateLayout(t)])),
  maxBytes,
});

/** Every reason routing may give (a Record, so a new reason fails to compile here). */
const REASONS: Record<MergerDeadLetterReason, true> = {
  oversized: true,
  malformed: true,
  "unknown-version": true,
  "unknown-origin": true,
  "own-origin": true,
  "wrong-topic": true,
  "bad-signature": true,
};
export const DEAD_LETTER_REASONS = new Set(Object.keys(REASONS));

const STAMP = packHlc(Date.now() - 60_000).toString();

function countingSlice(id: number): Record<string, unknown> {
  return {
    table: "public.counting_results",
    key: { camera_id: `cam-${id}`, bucket: "2024-05-01 10:00:00+00" },
    zone: null,
    counters: { people_in__p: "3", people_out__p: "1", vehicle_in__p: "0", vehicle_out__p: "7" },
    registers: { model_version: { v: "m1", t: STAMP }, home_region: { v: ORIGIN, t: STAMP } },
    ins: STAMP,
    del: null,
    delBase: null,
  };
}

function itemSlice(id: number): Record<string, unknown> {
  return {
    table: "public.hostile_items",
    key: { id: String(id) },
    zone: ZONE,
    counters: { hits__p: "5", balance__p: "4", balance__n: "1" },
    registers: {
      label: { v: `l${id}`, t: STAMP },
      doc: { v: '{"a": [1, 2]}', t: STAMP },
      n: { v: "42", t: STAMP },
      at: { v: "2024-05-01 10:00:00+00", t: STAMP },
    },
    ins: STAMP,
    del: null,
    delBase: null,
  };
}

/** A valid envelope of ORIGIN: rows for keys `ids` (alternating tables), or a heartbeat. */
export function validEnvelope(ids: readonly number[], heartbeat = false): Record<string, unknown> {
  const common = { v: 1, origin: ORIGIN, lsn: "0/16B3748", commitTime: Date.now() - 1_000 };
  if (heartbeat || ids.length === 0) return { kind: "heartbeat", ...common, stamp: STAMP };
  return {
    kind: "rows",
    ...common,
    rows: ids.map((id, i) => (i % 2 === 0 ? itemSlice(id) : countingSlice(id))),
  };
}

/** Values that pass the contract's field checks but may still be wrong for this region. */
const plausible: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  ...["0", "1", "9223372036854775807", "9223372036854775808", "9999999999999999999"],
  packHlc(Date.now() + 3_600_000).toString(), // an hour ahead: clock skew
  ...[ORIGIN, REGION, "ap-south", `${ORIGIN}.2`, `${REGION}.3`, "mars-1", ZONE, "ap", null],
  ...["abc", "-1", " 7", "1e3", "2024-01-01 00:00:00+00", "epoch", "not a time", "[1,2"],
  ...['{"a":1}', '{"a":"\\u0000"}', "\u0000", "a\u0000b", "\ud800", "x".repeat(5000)],
  ...[
    { v: "x", t: "1" },
    { v: null, t: "0" },
    { v: "\u0000", t: STAMP },
  ],
  ...["public.nope", "public.counting_results", "public.hostile_items", "nope", "nope__p"],
  ...[0, Date.now(), Number.MAX_SAFE_INTEGER, -1, 1.5],
);

export interface HostileMessage {
  /** How it was made (printed with a failure). */
  readonly kind: "bytes" | "truncated" | "flipped" | "mutated" | "deep" | "valid" | "tombstone";
  readonly value: Buffer | null;
}

const DEEP = "deep-nesting-goes-here";
/** JSON text of `v` ("undefined" when a mutation deleted the whole envelope). */
const encode = (v: unknown): Buffer =>
  Buffer.from((JSON.stringify(v) as string | undefined) ?? "undefined", "utf8");

/** A valid envelope for 0-3 keys (0: a heartbeat); keys from `ids`. */
const seedArb = (ids: fc.Arbitrary<number>): fc.Arbitrary<Record<string, unknown>> =>
  fc.array(ids, { maxLength: 3 }).map((keys) => validEnvelope(keys));

/**
 * One hostile message value. Keys of the seed envelopes come from `ids`, so a caller can keep
 * them away from rows it watches.
 */
export function hostileMessageArb(
  ids: fc.Arbitrary<number> = fc.integer({ min: 1_000, max: 2 ** 31 }),
): fc.Arbitrary<HostileMessage> {
  const seed = seedArb(ids);
  return fc.oneof(
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 300 })
        .map((b): HostileMessage => ({ kind: "bytes", value: Buffer.from(b) })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(seed, fc.nat()).map(([s, n]): HostileMessage => {
        const b = encode(s);
        return { kind: "truncated", value: b.subarray(0, n % b.length) };
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(seed, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }))
        .map(([s, flips]): HostileMessage => {
          const b = Buffer.from(encode(s));
          for (const [at, byte] of flips) b[at % b.length] = byte;
          return { kind: "flipped", value: b };
        }),
    },
    {
      weight: 8,
      arbitrary: fc
        .tuple(
          seed,
          fc.array(
            mutationArb(
              fc.oneof({ weight: 1, arbitrary: hostileValue }, { weight: 2, arbitrary: plausible }),
            ),
            { minLength: 1, maxLength: 2 },
          ),
        )
        .map(([s, ms]): HostileMessage => ({ kind: "mutated", value: encode(mutateAll(s, ms)) })),
    },
    {
      // Nesting deeper than any JavaScript recursion goes, spliced in as text (a value built
      // in JavaScript that deep could not even be encoded).
      weight: 1,
      arbitrary: fc
        .tuple(seed, fc.nat(), fc.integer({ min: 1_000, max: 100_000 }))
        .map(([s, at, depth]): HostileMessage => {
          const marked = encode(mutate(s, { at, op: "replace", value: DEEP, key: "" }));
          const deep = `${"[".repeat(depth)}${"]".repeat(depth)}`;
          return { kind: "deep", value: Buffer.from(marked.toString().replace(`"${DEEP}"`, deep)) };
        }),
    },
    {
      weight: 1,
      arbitrary: seed.map((s): HostileMessage => ({ kind: "valid", value: encode(s) })),
    },
    { weight: 1, arbitrary: fc.constant<HostileMessage>({ kind: "tombstone", value: null }) },
  );
}

/**
 * A valid rows envelope with one or two of its slices' fields (a key, a counter, a register, a
 * stamp...) replaced by a value the contract accepts: these reach the database.
 */
export function plausibleMessageArb(ids: fc.Arbitrary<number>): fc.Arbitrary<HostileMessage> {
  return fc
    .tuple(
      fc.array(ids, { minLength: 1, maxLength: 3 }),
      fc.array(fc.tuple(fc.nat(), plausible), { minLength: 1, maxLength: 2 }),
    )
    .map(([keys, changes]): HostileMessage => {
      let envelope: unknown = validEnvelope(keys);
      for (const [at, value] of changes) {
        const inside = pathsOf(envelope).filter((p) => p[0] === "rows" && p.length >= 3);
        envelope = setAt(envelope, inside[at % inside.length] ?? [], value);
      }
      return { kind: "mutated", value: encode(envelope) };
    });
}

/** A message for a failure report: kind and the first bytes of the value. */
export const describeMessage = (m: HostileMessage): string =>
  `${m.kind}: ${m.value === null ? "null" : JSON.stringify(m.value.toString("utf8").slice(0, 400))}`;
