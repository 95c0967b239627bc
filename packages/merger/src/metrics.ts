import type { Metrics } from "@georep/observability";
import type { MergeResult } from "./merge-transaction.ts";
import { QUARANTINE_REASONS } from "./quarantine.ts";
import type { MergerDeadLetterReason } from "./routing.ts";

/** Replication lag of one source partition, from its progress row. */
export interface PartitionLag {
  readonly origin: string;
  readonly topic: string;
  readonly partition: number;
  readonly seconds: number;
}

/** Records in a source partition that this region has not applied yet. */
export interface PartitionBacklog {
  readonly origin: string;
  readonly topic: string;
  readonly partition: number;
  readonly records: number;
}

/** The merger's Prometheus series. */
export interface MergerMetrics {
  recordBatch(
    origin: string,
    result: MergeResult,
    deadLetters: readonly string[],
    seconds: number,
  ): void;
  /** Lag of every partition, and per origin the worst of its partitions. */
  setLag(partitions: readonly PartitionLag[]): void;
  /** Consumer lag in records per partition (high watermark minus the next offset to apply). */
  setConsumerLag(partitions: readonly PartitionBacklog[]): void;
  /** One merged row slice, observed right after its transaction committed: now − source commit time. */
  observeEndToEndLag(origin: string, seconds: number): void;
  conflictsPruned(n: number): void;
  /** A batch's oldest message: from its Kafka append to the merger starting the batch. */
  observeKafkaWait(seconds: number): void;
  /** Rows just set aside in the quarantine, one reason each. */
  quarantined(reasons: readonly string[]): void;
  /** Rows in the quarantine now, by reason (every known reason, 0 when none). */
  setQuarantineSize(byReason: ReadonlyMap<string, number>): void;
  /** Deferred rows the merger replayed itself (merged, or still blocked). */
  deferredReplayed(merged: number, blocked: number): void;
  /** A batch another merge worker of this region had already applied (progress-fence.ts). */
  fenced(): void;
  /** A merge consumer restarted itself after no broker of its cluster answered. */
  consumerRestarted(): void;
  /** `records` offsets of an origin's partition deleted by Kafka before this region read them (gaps.ts). */
  gap(origin: string, records: number): void;
  /** Unrepaired gaps in georep.gaps now, per origin (every other region, 0 when none). */
  setUnrepairedGaps(byOrigin: ReadonlyMap<string, number>): void;
}

/** Fine buckets for end-to-end lag: the target is p99 ≤ 100 ms above network delay. */
export const END_TO_END_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5,
];

// Every reason, so that an alert on `increase()` sees the series before its first dead letter.
const DEAD_LETTER_REASONS = Object.keys({
  oversized: true,
  malformed: true,
  "unknown-version": true,
  "unknown-origin": true,
  "own-origin": true,
  "wrong-topic": true,
  "bad-signature": true,
} satisfies Record<MergerDeadLetterReason, true>);

/** The worst (largest) lag of each origin's partitions. */
export function worstPerOrigin(partitions: readonly PartitionLag[]): Map<string, number> {
  const worst = new Map<string, number>();
  for (const p of partitions) worst.set(p.origin, Math.max(worst.get(p.origin) ?? 0, p.seconds));
  return worst;
}

export function createMergerMetrics(metrics: Metrics): MergerMetrics {
  const deadLetters = metrics.counter(
    "georep_dead_letters_total",
    "Messages set aside on the dead-letter topic, by reason.",
    ["reason"],
  );
  const batches = metrics.counter(
    "georep_merge_batches_total",
    "Kafka batches merged, by origin.",
    ["origin"],
  );
  const rows = metrics.counter(
    "georep_merge_rows_total",
    "State rows staged for merging (after coalescing), by origin.",
    ["origin"],
  );
  const changed = metrics.counter(
    "georep_merge_state_rows_changed_total",
    "State rows the merge actually changed, by origin.",
    ["origin"],
  );
  const retries = metrics.counter(
    "georep_merge_retries_total",
    "Batch transactions run again after a deadlock or serialization failure.",
  );
  const conflicts = metrics.counter(
    "georep_conflicts_total",
    "Register conflicts recorded in georep.conflicts, by origin.",
    ["origin"],
  );
  const pruned = metrics.counter(
    "georep_conflicts_pruned_total",
    "Conflict-ledger rows deleted by retention.",
  );
  const lag = metrics.gauge(
    "georep_replication_lag_seconds",
    "Now minus the latest applied source commit time, by origin: the worst of the origin's partitions.",
    ["origin"],
  );
  const partitionLag = metrics.gauge(
    "georep_partition_lag_seconds",
    "Now minus the latest applied source commit time, by source partition.",
    ["origin", "topic", "partition"],
  );
  const consumerLag = metrics.gauge(
    "georep_consumer_lag_records",
    "Records in a source partition not applied yet: its high watermark minus the next offset to apply.",
    ["origin", "topic", "partition"],
  );
  const endToEnd = metrics.histogram(
    "georep_end_to_end_lag_seconds",
    "Source commit time to local merge commit, per merged row slice, by origin (includes clock skew between regions).",
    ["origin"],
    END_TO_END_BUCKETS,
  );
  const quarantinedTotal = metrics.counter(
    "georep_quarantined_rows_total",
    "Remote row slices set aside in georep.quarantine instead of merged, by reason.",
    ["reason"],
  );
  const quarantineSize = metrics.gauge(
    "georep_quarantine_rows",
    "Rows in georep.quarantine now, by reason (georep dlq list shows them).",
    ["reason"],
  );
  const replayed = metrics.counter(
    "georep_deferred_replays_total",
    "Rows set aside behind a local lock that the merger replayed itself, by outcome.",
    ["outcome"],
  );
  const fencedTotal = metrics.counter(
    "georep_merge_fenced_total",
    "Batches refused by their partition's progress fence: another merge worker applied them first.",
  );
  const consumerRestarts = metrics.counter(
    "georep_merge_consumer_restarts_total",
    "Merge consumers restarted after no broker of their cluster answered (kafkajs gave up); they give up after 2 min without joining their group.",
  );
  const gapRecords = metrics.counter(
    "georep_merge_gap_records_total",
    "Offsets of a source partition that Kafka deleted before this region read them (gaps), by origin.",
    ["origin"],
  );
  const unrepairedGaps = metrics.gauge(
    "georep_merge_gaps_unrepaired",
    "Gaps in georep.gaps not yet repaired from their origin region, by origin.",
    ["origin"],
  );
  for (const reason of DEAD_LETTER_REASONS) deadLetters.inc({ reason }, 0);
  for (const reason of QUARANTINE_REASONS) quarantinedTotal.inc({ reason }, 0);
  for (const outcome of ["merged", "blocked"]) replayed.inc({ outcome }, 0);
  const split = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  const kafkaWait = metrics.histogram(
    "georep_merge_kafka_wait_seconds",
    "Per batch: from the Kafka append of its oldest message to the merger starting it.",
    [],
    split,
  );
  const lockWait = metrics.histogram(
    "georep_merge_lock_wait_seconds",
    "Per merge transaction: time locking user rows, mostly waiting for local transactions.",
    [],
    split,
  );
  const sql = metrics.histogram(
    "georep_merge_sql_seconds",
    "Per merge transaction: wall time of its SQL, lock wait and retries included.",
    [],
    split,
  );
  const duration = metrics.histogram(
    "georep_merge_batch_seconds",
    "Time to merge one Kafka batch.",
    [],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  return {
    quarantined(reasons) {
      for (const reason of reasons) quarantinedTotal.inc({ reason });
    },
    setQuarantineSize(byReason) {
      for (const [reason, n] of byReason) quarantineSize.set({ reason }, n);
    },
    deferredReplayed(merged, blocked) {
      if (merged > 0) replayed.inc({ outcome: "merged" }, merged);
      if (blocked > 0) replayed.inc({ outcome: "blocked" }, blocked);
    },
    fenced() {
      fencedTotal.inc();
    },
    consumerRestarted() {
      consumerRestarts.inc();
    },
    gap(origin, records) {
      gapRecords.inc({ origin }, records);
      // At once; the next refresh from georep.gaps (housekeeping) sets the exact count.
      unrepairedGaps.inc({ origin });
    },
    setUnrepairedGaps(byOrigin) {
      for (const [origin, n] of byOrigin) {
        unrepairedGaps.set({ origin }, n);
        gapRecords.inc({ origin }, 0);
      }
    },
    observeKafkaWait(seconds) {
      kafkaWait.observe(Math.max(0, seconds));
    },
    recordBatch(origin, result, dead, seconds) {
      // Batches that rode in another batch's group transaction carry zeros: counted once.
      if (result.sqlSeconds > 0) {
        lockWait.observe(result.lockWaitSeconds);
        sql.observe(result.sqlSeconds);
      }
      batches.inc({ origin });
      rows.inc({ origin }, result.stagedRows);
      changed.inc({ origin }, result.stateRowsChanged);
      if (result.attempts > 1) retries.inc(result.attempts - 1);
      if (result.conflicts > 0) conflicts.inc({ origin }, result.conflicts);
      for (const reason of dead) deadLetters.inc({ reason });
      duration.observe(seconds);
    },
    setLag(partitions) {
      for (const p of partitions)
        partitionLag.set({ origin: p.origin, topic: p.topic, partition: p.partition }, p.seconds);
      for (const [origin, seconds] of worstPerOrigin(partitions)) lag.set({ origin }, seconds);
    },
    setConsumerLag(partitions) {
      for (const p of partitions)
        consumerLag.set({ origin: p.origin, topic: p.topic, partition: p.partition }, p.records);
    },
    observeEndToEndLag: (origin, seconds) => {
      endToEnd.observe({ origin }, Math.max(0, seconds));
    },
    conflictsPruned: (n) => {
      pruned.inc(n);
    },
  };
}
