// What one merge worker runs per Kafka batch, wired from the merger's config: routing, the
// durable progress mirror, the merge transaction and the batch processor. The merger feeds it
// from its consumer; tests feed it batches directly (two workers racing for one partition).
import type { Pool } from "pg";
import type { BatchControls, BatchOutcome, ConsumedBatch, DeadLetterRecord } from "@georep/kafka";
import type { Logger } from "@georep/observability";
import { stateLayout } from "@georep/schema";
import type { StateLayout, TableSpec } from "@georep/schema";
import { createBatchProcessor } from "./batch.ts";
import { recordHeartbeat } from "./collection/heartbeat-record.ts";
import { createMergeTransaction } from "./merge-transaction.ts";
import type { MergeTransaction } from "./merge-transaction.ts";
import type { MergerMetrics } from "./metrics.ts";
import type { MergerOptions } from "./options.ts";
import { createProgressStore } from "./progress-store.ts";
import type { ProgressStore } from "./progress-store.ts";
import { sourceTopics } from "./routing.ts";
import type { MergerConfig } from "./merger-types.ts";

export interface MergeWorker {
  readonly onBatch: (batch: ConsumedBatch, controls: BatchControls) => Promise<BatchOutcome>;
  readonly progress: ProgressStore;
  readonly mergeTransaction: MergeTransaction;
  readonly layouts: ReadonlyMap<string, StateLayout>;
  readonly topics: readonly string[];
}

export interface MergeWorkerDeps {
  readonly config: Pick<
    MergerConfig,
    "region" | "regions" | "clock" | "onApplied" | "epoch" | "verifier"
  >;
  readonly options: MergerOptions;
  readonly tables: readonly TableSpec[];
  readonly pool: Pool;
  readonly metrics: MergerMetrics;
  readonly log: Logger;
  readonly deadLetter: (records: readonly DeadLetterRecord[]) => Promise<void>;
}

export function createMergeWorker(deps: MergeWorkerDeps): MergeWorker {
  const { config, options, tables, pool, log } = deps;
  const sources = sourceTopics(config.region, config.regions);
  const topics = sources.map((s) => s.topic);
  const progress = createProgressStore(pool, topics);
  const mergeTransaction = createMergeTransaction({
    tables,
    logger: log,
    maxAttempts: options.maxAttempts,
    backoffMs: options.retryBackoffMs,
    lockTimeoutMs: options.lockTimeoutMs,
    session: {
      ...(config.epoch === undefined ? {} : { epoch: config.epoch }),
      statementTimeoutMs: options.statementTimeoutMs,
      idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs,
    },
  });
  const layouts = new Map(tables.map((t) => [`${t.schema}.${t.name}`, stateLayout(t)]));
  const onBatch = createBatchProcessor({
    routing: {
      region: config.region,
      regions: config.regions,
      layouts,
      maxBytes: options.maxMessageBytes,
      verifier: config.verifier,
    },
    sources: new Map(sources.map((s) => [s.topic, s])),
    pool,
    mergeTransaction,
    progress,
    deadLetter: deps.deadLetter,
    metrics: deps.metrics,
    logger: log,
    transientRetries: options.transientRetries,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    clock: config.clock,
    maxGroupRows: options.maxGroupRows,
    maxForwardSkewMs: options.maxForwardSkewMs,
    onApplied: config.onApplied,
    onHeartbeat: (heard) =>
      recordHeartbeat(pool, heard).catch((error: unknown) => {
        // The next beat records it: late progress only delays tombstone collection.
        log.warn({ err: error, topic: heard.topic }, "recording a peer's heartbeat failed");
      }),
  });
  return { onBatch, progress, mergeTransaction, layouts, topics };
}
