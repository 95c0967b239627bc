import { decodeEnvelope, originTopic, zoneTopic } from "@georep/contract";
import type { DeadLetterReason, Envelope, EnvelopeVerifier, RecordHeaders } from "@georep/contract";
import type { StateLayout } from "@georep/schema";
import type { RowSlice } from "@georep/contract";
import { sliceMismatch } from "./staging.ts";
import type { RegionRef } from "./options.ts";

/**
 * Why the merger refused a message. Beyond the contract's decode reasons: an envelope of this
 * region itself (`own-origin`), on a topic it does not belong to (`wrong-topic`), or not signed
 * by a key of the topic's origin (`bad-signature`, docs/security.md). Rows this
 * region's spec does not know, or its tables refuse, are not dead-lettered: they are set aside
 * one by one in the quarantine (quarantine.ts).
 */
export type MergerDeadLetterReason =
  DeadLetterReason | "own-origin" | "wrong-topic" | "bad-signature";

/** A row of an accepted envelope that this region's spec does not know (set aside, not merged). */
export interface MismatchedRow {
  readonly slice: RowSlice;
  readonly detail: string;
}

export type Routed =
  | {
      readonly kind: "envelope";
      /** The envelope without its mismatched rows (a rows envelope may be left with none). */
      readonly envelope: Envelope;
      readonly mismatched: readonly MismatchedRow[];
    }
  | { readonly kind: "dead"; readonly reason: MergerDeadLetterReason; readonly detail: string };

export interface RoutingContext {
  readonly region: string;
  /** Every configured region, this one included. */
  readonly regions: readonly RegionRef[];
  readonly layouts: ReadonlyMap<string, StateLayout>;
  readonly maxBytes: number;
  /** Checks each record's signature before it is decoded; absent: signing is off (development). */
  readonly verifier?: EnvelopeVerifier | undefined;
}

/** Where a record sat and what headers it came with: what its signature covers besides its value. */
export interface RecordOrigin {
  readonly partition: number;
  readonly headers: RecordHeaders;
}

export interface SourceTopic {
  readonly topic: string;
  readonly origin: string;
  /** Set for a zone topic: every row on it must be homed in this zone. */
  readonly zone: string | undefined;
}

/** The topics a region's merger consumes: every other region's origin topic, and their topics of this region's zone. */
export function sourceTopics(region: string, regions: readonly RegionRef[]): SourceTopic[] {
  const zone = regions.find((r) => r.id === region)?.zone;
  return regions
    .filter((r) => r.id !== region)
    .flatMap((r) => [
      { topic: originTopic(r.id), origin: r.id, zone: undefined },
      ...(zone === undefined ? [] : [{ topic: zoneTopic(r.id, zone), origin: r.id, zone }]),
    ]);
}

/**
 * Decides what to do with one message of `source`. Never throws. With a verifier, the record is
 * checked against the keys of the topic's origin before a byte of it is parsed; a record without
 * `record` (partition and headers) counts as unsigned.
 */
export function routeMessage(
  source: SourceTopic,
  value: Buffer | null,
  ctx: RoutingContext,
  record?: RecordOrigin,
): Routed {
  if (ctx.verifier !== undefined) {
    const checked = ctx.verifier.verify(
      source.origin,
      source.topic,
      record?.partition ?? -1,
      value,
      record?.headers ?? {},
    );
    if (!checked.ok) return { kind: "dead", reason: "bad-signature", detail: checked.detail };
  }
  const decoded = decodeEnvelope(value, {
    maxBytes: ctx.maxBytes,
    knownOrigins: new Set(ctx.regions.map((r) => r.id)),
  });
  if (!decoded.ok) return { kind: "dead", reason: decoded.reason, detail: decoded.detail };
  const envelope = decoded.envelope;
  if (envelope.origin === ctx.region) {
    return {
      kind: "dead",
      reason: "own-origin",
      detail: `envelope of this region '${ctx.region}' came back on ${source.topic}: a region never merges its own state`,
    };
  }
  if (envelope.origin !== source.origin) {
    return {
      kind: "dead",
      reason: "wrong-topic",
      detail: `envelope of origin '${envelope.origin}' on ${source.topic}, which carries '${source.origin}'`,
    };
  }
  if (envelope.kind === "heartbeat") return { kind: "envelope", envelope, mismatched: [] };
  const ownZone = ctx.regions.find((r) => r.id === ctx.region)?.zone;
  const misplaced = envelope.rows.find((s) =>
    source.zone === undefined ? s.zone !== null && s.zone !== ownZone : s.zone !== source.zone,
  );
  if (misplaced !== undefined) {
    return {
      kind: "dead",
      reason: "wrong-topic",
      detail: `row of ${misplaced.table} homed in zone ${JSON.stringify(misplaced.zone)} on ${source.topic}`,
    };
  }
  // Per row: a spec skew between regions (a table or column added here later) sets aside only
  // the rows it concerns, for `georep dlq replay` once the spec is upgraded.
  const mismatched: MismatchedRow[] = [];
  const rows = envelope.rows.filter((slice) => {
    const detail = sliceMismatch(slice, ctx.layouts);
    if (detail !== undefined) mismatched.push({ slice, detail });
    return detail === undefined;
  });
  return {
    kind: "envelope",
    envelope: mismatched.length === 0 ? envelope : { ...envelope, rows },
    mismatched,
  };
}
