export { createMerger, mergeGroupId } from "./merger.ts";
export type { Merger, MergerConfig, MergerState, MergerStatus } from "./merger.ts";
export { createMergeTransaction } from "./merge-transaction.ts";
export type {
  MergeTransaction,
  MergeTransactionOptions,
  MergeInput,
  MergeResult,
  ProgressEntry,
} from "./merge-transaction.ts";
export { mergerOptionsSchema, parseMergerOptions } from "./options.ts";
export type { MergerOptions, MergerOptionsInput, RegionRef } from "./options.ts";
export { routeMessage, sourceTopics } from "./routing.ts";
export type { MergerDeadLetterReason, Routed, RoutingContext, SourceTopic } from "./routing.ts";
export { MergeError, MergerConfigError } from "./errors.ts";
export type { BatchContext } from "./errors.ts";
export { QUARANTINE_REASONS } from "./quarantine.ts";
export type { QuarantineReason } from "./quarantine.ts";
export { listQuarantine, quarantineSize, replayQuarantine } from "./quarantine-replay.ts";
export type {
  QuarantineEntry,
  QuarantineFilter,
  ReplayOptions,
  ReplayOutcome,
} from "./quarantine-replay.ts";
export { listUnrepairedGaps, markGapsRepaired, unrepairedGapCounts } from "./gaps.ts";
export type { Gap, GapRow } from "./gaps.ts";
export { startConsumerLagMetrics } from "./consumer-lag.ts";
export type { ConsumerLagMetrics, ConsumerLagMetricsConfig } from "./consumer-lag.ts";
