export { repairRegion } from "./repair.ts";
export type {
  RepairOptions,
  RepairPeer,
  RepairProgress,
  RepairReport,
  RepairTarget,
  TableRepair,
} from "./repair.ts";
export { RepairError } from "./errors.ts";
export { stateDigests, differingBuckets } from "./digest.ts";
export type { StateRangeDigest } from "./digest.ts";
export type { RepairScope } from "./scope.ts";
export { copySnapshot, seedPositions } from "./snapshot-copy.ts";
export type {
  SeededPosition,
  SnapshotCopyOptions,
  SnapshotCopyReport,
  TopicEnds,
} from "./snapshot-copy.ts";
