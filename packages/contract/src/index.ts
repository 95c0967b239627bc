export {
  ENVELOPE_VERSION,
  envelopeSchema,
  heartbeatProgressSchema,
  rowSliceSchema,
} from "./envelope.ts";
export type {
  Envelope,
  RowsEnvelope,
  HeartbeatEnvelope,
  HeartbeatProgress,
  RowSlice,
} from "./envelope.ts";
export {
  REGION_ID_EXPECTED,
  regionIdPattern,
  regionIdSchema,
  replicaIdPattern,
  replicaIdSchema,
} from "./region-id.ts";
export { ZONE_ID_EXPECTED, zoneIdPattern, zoneIdSchema } from "./zone-id.ts";
export { encodeEnvelope, decodeEnvelope, DEFAULT_MAX_MESSAGE_BYTES } from "./codec.ts";
export type { DecodeResult, DecodeOptions, DeadLetterReason } from "./codec.ts";
export { MAX_ROW_VALUE_BYTES, MAX_MESSAGE_BYTES } from "./limits.ts";
export {
  originTopic,
  zoneTopic,
  deadLetterTopic,
  topicForRow,
  rowKey,
  partitionOf,
} from "./topics.ts";
export {
  KEY_ID_HEADER,
  SIGNATURE_HEADER,
  SigningKeyError,
  createEnvelopeSigner,
  createEnvelopeVerifier,
  keyIdOf,
  parsePrivateKey,
  parsePublicKey,
  signedBytes,
} from "./signing.ts";
export type {
  EnvelopeSigner,
  EnvelopeVerifier,
  RecordHeaders,
  Verification,
  VerifierOptions,
} from "./signing.ts";
