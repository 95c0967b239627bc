import { z } from "zod";
import { MAX_MESSAGE_BYTES, regionIdSchema } from "@georep/contract";
import { minInsyncProblem, topicSettingsSchema } from "@georep/kafka";
import { firstIssue, parseTableSpec } from "@georep/schema";
import type { TableSpec } from "@georep/schema";
import { MergerConfigError } from "./errors.ts";

const positiveInt = z.number().int().positive();

/** Tunables, all optional; defaults suit a region with a few thousand changes per second. */
export const mergerOptionsSchema = z
  .object({
    /**
     * Messages above this size (decompressed) are dead-lettered as `oversized`. Default: the
     * largest message a shipper sends (a row at georep's row limit, docs/capture.md).
     */
    maxMessageBytes: positiveInt.default(MAX_MESSAGE_BYTES),
    /** Conflict-ledger rows older than this are deleted. */
    conflictRetentionHours: positiveInt.default(24 * 7),
    retentionIntervalMs: positiveInt
      .min(1000, { message: "must be at least 1000 (ms)" })
      .default(60 * 60 * 1000),
    /** How often the lag gauges are refreshed. */
    lagIntervalMs: positiveInt.default(1000),
    /**
     * How often tombstones are collected and this region's applied progress (which its heartbeats
     * report) is recomputed (docs/data-model.md, "Tombstones").
     */
    collectionIntervalMs: positiveInt.default(5_000),
    /**
     * Whether dead keys' state rows are collected (off by default; docs/data-model.md,
     * "Tombstones", says what is still open). Applied progress is computed and reported either
     * way. On, a region that loses history also waits to apply what it last reported.
     */
    collectTombstones: z.boolean().default(false),
    /**
     * A tombstone is collected only once it is this old as well as past the barrier: a region
     * whose database goes back in time (failover to an asynchronous standby, a restore) gets its
     * own lost deletes back from its peers' repair, which must come before they collect them
     * (docs/data-model.md, "A region that loses history"). 0 only where no region ever does.
     */
    collectionGraceSeconds: z.number().int().nonnegative().default(3_600),
    /** Deleted keys collected per transaction (each holds the state table's lock briefly). */
    collectionBatchKeys: positiveInt.max(100_000).default(500),
    /** A collection barrier older than this names the regions holding it (georep_gc_blocked_by). */
    collectionBlockedAfterSeconds: positiveInt.default(600),
    /** Attempts of one batch transaction on deadlock / serialization failure. */
    maxAttempts: positiveInt.max(100).default(8),
    retryBackoffMs: positiveInt.default(20),
    /**
     * How long a merge waits for a row lock held by a local transaction. Past it the blocked rows
     * are set aside (quarantine reason lock-timeout) and the rest of the batch merges; the merger
     * replays them every deferredRetryIntervalMs until they merge.
     */
    lockTimeoutMs: positiveInt.max(60_000).default(2_000),
    /**
     * PostgreSQL's statement_timeout for the merger's sessions. A merge that runs past it (disk
     * stalled, a runaway trigger) fails the merger, which makes the replicator exit non-zero and
     * hand over, instead of hanging with its partitions and the leadership held.
     */
    statementTimeoutMs: positiveInt
      .min(1_000, { message: "must be at least 1000 (ms)" })
      .default(60_000),
    /**
     * idle_in_transaction_session_timeout for the merger's sessions: a paused merger (SIGSTOP)
     * inside a transaction must not hold its row locks, and a takeover, for long.
     */
    idleInTransactionTimeoutMs: positiveInt
      .min(1_000, { message: "must be at least 1000 (ms)" })
      .default(10_000),
    deferredRetryIntervalMs: positiveInt
      .min(100, { message: "must be at least 100 (ms)" })
      .default(5_000),
    /**
     * How far ahead of this region's clock a remote stamp may be (ms). Further, the row is set
     * aside (quarantine reason clock-skew): it would win every later write to its registers.
     */
    maxForwardSkewMs: positiveInt.default(60_000),
    /** Attempts of one batch after a lost connection or similar transient failure, before giving up. */
    transientRetries: positiveInt.default(20),
    /**
     * Partitions whose batches are in flight at the same time (each partition stays in order).
     * They share merge transactions (group commit): batches that arrive while one transaction
     * runs go together in the next, so this bounds how many partitions one transaction can carry,
     * not how many connections are used. Cover every source partition ((regions - 1) × topic
     * partitions) so that a fetch's batches can all join one transaction.
     */
    concurrentPartitions: positiveInt.max(64).default(16),
    /**
     * Group commit cap: row slices per grouped transaction. Batches that would push a group past
     * it wait for the next transaction (a single larger batch still goes alone), so catch-up does
     * not put every in-flight partition's full fetch in one transaction.
     */
    maxGroupRows: positiveInt.default(20_000),
    /** One connection merges (one group transaction at a time); more serve a batch retried alone after its group failed. */
    poolSize: positiveInt
      .min(2, { message: "must be at least 2 (one merging connection, one for housekeeping)" })
      .default(5),
    /**
     * Fetch size per partition (kafkajs maxBytesPerPartition). At least the topics' message
     * limit, so a batch holding one largest message is fetched whatever partition it is on.
     */
    maxBytesPerPartition: positiveInt.default(MAX_MESSAGE_BYTES),
    /**
     * How long the broker holds an empty fetch. It answers as soon as data arrives (measured here:
     * 4–30 ms with 5 s), so this sets how often an idle merger polls, but kafkajs also notices
     * rebalances and stops only between fetches: 500 ms saved an idle replicator ~1 point of a core
     * and made three end-to-end test files 33% slower (61 → 81 s), joins and stops included.
     */
    maxWaitTimeMs: positiveInt.default(100),
    /**
     * How long the group waits for a silent member. A merger restarted after a crash gets its
     * partitions only once its dead predecessor's session has expired: with 30 s, "merger running"
     * came 18–20 s after a kill -9 restart in the capture-kill drill. Brokers allow 6 s and up.
     */
    sessionTimeoutMs: positiveInt
      .min(6_000, { message: "must be at least 6000 (ms), the broker's default minimum" })
      .default(10_000),
    /**
     * Create missing source and dead-letter topics with these settings at start, with georep's
     * message limit (max.message.bytes), and raise that limit on existing ones that have less.
     */
    ensureTopics: z.boolean().default(true),
    topicPartitions: positiveInt.default(6),
    replicationFactor: positiveInt.default(1),
    /** Retention and min.insync.replicas of the topics it creates, and checks on existing ones. */
    topic: topicSettingsSchema.prefault({}),
  })
  .strict()
  .refine((o) => o.maxBytesPerPartition >= o.maxMessageBytes, {
    message:
      "must be at least maxMessageBytes, or a largest allowed message could never be fetched; raise it",
    path: ["maxBytesPerPartition"],
  })
  .superRefine((o, ctx) => {
    const problem = minInsyncProblem(o.topic, o.replicationFactor);
    if (problem !== undefined)
      ctx.addIssue({ code: "custom", message: problem, path: ["topic", "minInsyncReplicas"] });
  });

export type MergerOptions = z.output<typeof mergerOptionsSchema>;
export type MergerOptionsInput = z.input<typeof mergerOptionsSchema>;

/** @throws MergerConfigError naming the field and the fix. */
export function parseMergerOptions(input: unknown): MergerOptions {
  const parsed = mergerOptionsSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const { field, text } = firstIssue(parsed.error);
  throw new MergerConfigError(`merger options: ${text}`, field, { cause: parsed.error });
}

export interface RegionRef {
  readonly id: string;
  readonly zone?: string | undefined;
}

/**
 * Cross-checks region and tables.
 * @throws MergerConfigError naming the field and the fix.
 */
export function checkTopology(
  region: string,
  regions: readonly RegionRef[],
  tables: readonly TableSpec[],
): TableSpec[] {
  const regionId = regionIdSchema.safeParse(region);
  if (!regionId.success) {
    throw new MergerConfigError(
      `merger: region '${region}' ${regionId.error.issues[0]?.message ?? "is not a region id"}`,
      "region",
    );
  }
  const ids = regions.map((r) => r.id);
  if (new Set(ids).size !== ids.length)
    throw new MergerConfigError("merger: regions lists a region twice; list each once", "regions");
  if (!ids.includes(region))
    throw new MergerConfigError(
      `merger: region '${region}' is not in regions [${ids.join(", ")}]; add it`,
      "region",
    );
  if (ids.length < 2)
    throw new MergerConfigError(
      "merger: regions must list at least one other region, or there is nothing to merge",
      "regions",
    );
  if (tables.length === 0)
    throw new MergerConfigError(
      "merger: tables must declare at least one replicated table",
      "tables",
    );
  return tables.map((t, i) => {
    try {
      return parseTableSpec(t);
    } catch (error) {
      throw new MergerConfigError(
        `merger: tables[${i}]: ${(error as Error).message}`,
        `tables[${i}]`,
        { cause: error },
      );
    }
  });
}
