import { isReplicaOf } from "@georep/crdt";
import { ENVELOPE_VERSION, envelopeSchema } from "./envelope.ts";
import type { Envelope } from "./envelope.ts";

export type DeadLetterReason = "oversized" | "malformed" | "unknown-version" | "unknown-origin";

export type DecodeResult =
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly reason: DeadLetterReason; readonly detail: string };

export interface DecodeOptions {
  /** Messages above this size are refused before parsing (default 1 MiB). */
  readonly maxBytes?: number;
  /** Origins this region accepts; anything else is dead-lettered. */
  readonly knownOrigins: ReadonlySet<string>;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Dead-letter details stay short whatever the message holds (a key of megabytes, say). */
const MAX_DETAIL_CHARS = 500;

const clip = (text: string): string =>
  text.length <= MAX_DETAIL_CHARS ? text : `${text.slice(0, MAX_DETAIL_CHARS)}…`;

/**
 * The version a message claims, for its dead letter. Never JSON.stringify the value itself: a
 * nested array a few thousand levels deep (a 10 kB message) overflows the stack there.
 */
function describeVersion(version: unknown): string {
  if (Array.isArray(version)) return "(an array)";
  if (typeof version === "object" && version !== null) return "(an object)";
  return typeof version === "string" ? JSON.stringify(clip(version)) : String(version);
}

export function encodeEnvelope(envelope: Envelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), "utf8");
}

/**
 * Decodes and validates one Kafka message value. Never throws: a bad message is a value the
 * merger routes to the dead-letter topic with its reason, and consumption continues.
 */
export function decodeEnvelope(value: Buffer | null, options: DecodeOptions): DecodeResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (value === null)
    return { ok: false, reason: "malformed", detail: "message has no value (tombstone record)" };
  if (value.length > maxBytes) {
    return {
      ok: false,
      reason: "oversized",
      detail: `message is ${value.length} bytes, the limit is ${maxBytes}`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(value.toString("utf8"));
  } catch (error) {
    return {
      ok: false,
      reason: "malformed",
      detail: clip(`not JSON: ${(error as Error).message}`),
    };
  }
  const version =
    typeof json === "object" && json !== null ? (json as { v?: unknown }).v : undefined;
  if (version !== ENVELOPE_VERSION) {
    return {
      ok: false,
      reason: "unknown-version",
      detail: `envelope version ${describeVersion(version)}; this merger reads ${ENVELOPE_VERSION}`,
    };
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: "malformed",
      detail: clip(`${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`),
    };
  }
  if (!options.knownOrigins.has(parsed.data.origin)) {
    return {
      ok: false,
      reason: "unknown-origin",
      detail: `origin '${parsed.data.origin}' is not a configured region`,
    };
  }
  const replica = parsed.data.replica;
  if (replica !== undefined && !isReplicaOf(replica, parsed.data.origin)) {
    return {
      ok: false,
      reason: "unknown-origin",
      detail: `replica '${replica}' is not an incarnation of origin '${parsed.data.origin}': a region ships only its own state`,
    };
  }
  return { ok: true, envelope: parsed.data };
}
