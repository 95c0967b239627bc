// Public entry of @georep/crdt: pure CRDT core, no I/O. Test helpers live in @georep/crdt/testing.
export {
  BigintRangeError,
  ClockSkewError,
  CodecError,
  CounterKindMismatchError,
  CrdtError,
  InvalidIdError,
  NegativeIncrementError,
  NonIntegerIncrementError,
  UnsupportedVersionError,
  formatPath,
} from "./errors.ts";
export type { CrdtErrorOptions } from "./errors.ts";
export { assertColumnName, assertRegionId, isColumnName, isRegionId } from "./ids.ts";
export type { ColumnName, RegionId } from "./ids.ts";
export { PG_BIGINT_MAX } from "./int64.ts";
export {
  incarnationOfReplica,
  isReplicaOf,
  nextIncarnation,
  regionOfReplica,
  replicaId,
} from "./replica.ts";
export type { ReplicaId } from "./replica.ts";
export {
  componentOf,
  emptyGCounter,
  equalGCounter,
  gcounterFrom,
  incrementGCounter,
  leqGCounter,
  mergeGCounter,
  valueOfGCounter,
} from "./gcounter.ts";
export type { GCounter } from "./gcounter.ts";
export {
  addPNCounter,
  decrementPNCounter,
  emptyPNCounter,
  equalPNCounter,
  incrementPNCounter,
  leqPNCounter,
  mergePNCounter,
  pncounterFrom,
  valueOfPNCounter,
} from "./pncounter.ts";
export type { PNCounter } from "./pncounter.ts";
export {
  equalCounter,
  leqCounter,
  mergeCounter,
  valueOfCounter,
  visibleCounterValue,
} from "./counter.ts";
export type { Counter } from "./counter.ts";
export {
  LOGICAL_BITS,
  LOGICAL_MAX,
  PHYSICAL_MAX_MS,
  createHlc,
  packHlc,
  stampAfter,
  unpackHlc,
} from "./hlc.ts";
export type { Hlc, HlcOptions, HlcStamp } from "./hlc.ts";
export { compareStamp, gtStamp, leqStamp, maxStamp } from "./stamp.ts";
export type { Stamp } from "./stamp.ts";
export { compareLww, equalLww, leqLww, mergeLww, writeLww } from "./lww-register.ts";
export type { LwwRegister, RegisterValue } from "./lww-register.ts";
export {
  equalRegisterColumn,
  latestEntry,
  leqRegisterColumn,
  mergeRegisterColumn,
  resolveRegisterColumn,
  writeRegisterColumn,
} from "./register-column.ts";
export type { RegisterColumn } from "./register-column.ts";
export { emptyRow, equalRow, isRowPresent, leqRow, mergeRow } from "./row.ts";
export type { RowState, Tombstone } from "./row.ts";
export { deleteRow, incrementRowCounter, insertRow, writeRowRegister } from "./row-ops.ts";
export type { LocalContext } from "./row-ops.ts";
export { homeOf, viewRow } from "./row-view.ts";
export type { RegisterPolicy, RowPolicy, RowView } from "./row-view.ts";
export {
  deltaCounter,
  deltaGCounter,
  deltaPNCounter,
  deltaRegisterColumn,
  deltaRow,
  isEmptyRowDelta,
} from "./delta.ts";
export {
  decodeGCounter,
  decodeLwwRegister,
  decodePNCounter,
  decodeRow,
  decodeRowDelta,
  encodeGCounter,
  encodeLwwRegister,
  encodePNCounter,
  encodeRow,
  encodeRowDelta,
} from "./codec.ts";
export type {
  EncodedGCounter,
  EncodedLwwRegister,
  EncodedPNCounter,
  EncodedRow,
  EncodedRowDelta,
} from "./codec.ts";
export { CODEC_VERSION } from "./codec-schemas.ts";
export { encodeCounters, encodeCounts } from "./codec-encode.ts";
export type {
  EncodedCounters,
  EncodedCounts,
  EncodedRowBody,
  EncodedStamp,
} from "./codec-encode.ts";
export {
  ACROSS_LIFETIMES,
  STATE_ROW_MERGE,
  baseApplies,
  isKilled,
  lifetimesOf,
  mergeStateRow,
  takesIncoming,
  topStamp,
} from "./state-row.ts";
export type {
  Lifetimes,
  StateMergeRule,
  StateRegister,
  StateRow,
  StateRowField,
  Taken,
} from "./state-row.ts";
export { applyCameraUpload, createCameraCounter } from "./camera.ts";
export type { CameraChange, CameraCounter, CameraStore, CameraUpload } from "./camera.ts";
