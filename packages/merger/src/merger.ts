// Merger lifecycle:
//
//   idle ──start()──▶ starting ──checks ok, topics ensured, consumer started──▶ running
//   (kafkajs joins the group in the background: running means consuming soon, not assigned yet)
//   starting ──check or connection fails──▶ failed (start() throws)
//   running ──consumer crashed (non-retriable)──▶ failed
//   running | failed ──stop()──▶ stopping (batch in progress finishes) ──▶ stopped
import pg from "pg";
import { pgConnection } from "@georep/schema";
import {
  createBatchConsumer,
  createDeadLetters,
  isRetriable,
  createKafka,
  reportTopicConfig,
} from "@georep/kafka";
import type { BatchConsumer, KafkaOptions, TopicSpec } from "@georep/kafka";
import { MAX_MESSAGE_BYTES, deadLetterTopic } from "@georep/contract";
import { MergerConfigError } from "./errors.ts";
import { createMergerMetrics } from "./metrics.ts";
import { checkTopology, parseMergerOptions } from "./options.ts";
import type { Merger, MergerConfig, MergerState } from "./merger-types.ts";
import { checkDatabase, createHousekeeping } from "./housekeeping.ts";
import { createMergeWorker } from "./merge-worker.ts";
import { createMergerCollector } from "./collection/merger-collector.ts";
import { createClusterConsumers } from "./cluster-consumers.ts";
import type { ClusterConsumers } from "./cluster-consumers.ts";
import { sourceClusters } from "./source-clusters.ts";
import type { SourceCluster } from "./source-clusters.ts";

/** How often a source cluster that could not be reached at start is tried again. */
const CLUSTER_RETRY_MS = 5_000;

export type { Merger, MergerConfig, MergerState, MergerStatus } from "./merger-types.ts";

/** The consumer group every merge worker of `region` joins. */
export const mergeGroupId = (region: string): string => `georep-merger-${region}`;

/** @throws MergerConfigError naming the invalid field. */
export function createMerger(config: MergerConfig): Merger {
  const options = parseMergerOptions(config.options);
  const tables = checkTopology(config.region, config.regions, config.tables);
  const log = config.logger.child({ component: "merger", region: config.region });
  const metrics = createMergerMetrics(config.metrics);
  const pool = new pg.Pool({
    ...pgConnection(config.pgUrl, config.pgPassword),
    max: options.poolSize,
    application_name: `georep-merger-${config.region}`,
  });
  pool.on("error", (error) => {
    log.warn({ err: error }, "idle PostgreSQL connection failed");
  });
  const kafkaOptions = {
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId ?? `georep-merger-${config.region}`,
    logger: log,
    ...(config.kafka.security === undefined ? {} : { security: config.kafka.security }),
  };
  let state: MergerState = "idle";
  let lastError: string | undefined;
  let consumers: ClusterConsumers | undefined;
  // Dead letters stay on this region's own cluster, whichever cluster the message came from.
  const deadLetters = createDeadLetters(kafkaOptions);
  const worker = createMergeWorker({
    config,
    options,
    tables,
    pool,
    metrics,
    log,
    deadLetter: async (records) => {
      if (consumers === undefined) throw new Error("merger not started");
      if (records.length === 0) return;
      try {
        await ensureDeadLetterTopic();
      } catch (error) {
        // Unreachable: the batch fails and is read again (its partition waits meanwhile).
        // Refused (ACLs, a cluster too small): no retry helps, as at start.
        if (!isRetriable(error)) fail(error);
        log.warn(
          { err: error, topic: deadLetterTopic(config.region) },
          "dead letters cannot reach this region's Kafka cluster; the batch is retried",
        );
        throw error;
      }
      return deadLetters.send(records);
    },
  });
  const topics = worker.topics;
  const clusters = sourceClusters(config.region, config.regions, config.kafka);
  const topicSpec = (topic: string): TopicSpec => ({
    topic,
    partitions: options.topicPartitions,
    replicationFactor: options.replicationFactor,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    settings: options.topic,
  });
  const ensure = async (on: KafkaOptions, wanted: readonly string[]): Promise<void> => {
    if (!options.ensureTopics) return;
    const kafka = createKafka(on);
    try {
      reportTopicConfig(await kafka.admin.ensureTopics(wanted.map(topicSpec)), log, config.metrics);
    } finally {
      await kafka.disconnect();
    }
  };
  let deadLetterTopicReady = false;
  /** Ensured at start, or at the first dead letter when this region's cluster was down then. */
  const ensureDeadLetterTopic = async (): Promise<void> => {
    if (deadLetterTopicReady) return;
    await ensure(kafkaOptions, [deadLetterTopic(config.region)]);
    deadLetterTopicReady = true;
  };
  const openCluster = async (cluster: SourceCluster): Promise<BatchConsumer> => {
    const on = { ...kafkaOptions, brokers: cluster.brokers };
    await ensure(on, cluster.topics);
    return createBatchConsumer({
      kafka: on,
      groupId: mergeGroupId(config.region),
      topics: cluster.topics,
      logger: log.child({ origins: cluster.origins }),
      startOffsets: (assigned) => worker.progress.load(assigned),
      onBatch,
      onCrash: fail,
      onRestart: () => {
        metrics.consumerRestarted();
      },
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxWaitTimeMs: options.maxWaitTimeMs,
      sessionTimeoutMs: options.sessionTimeoutMs,
      concurrentPartitions: options.concurrentPartitions,
    });
  };

  const fail = (error: unknown): void => {
    if (state === "failed" || state === "stopping" || state === "stopped") return;
    const started = state === "running";
    state = "failed";
    lastError = (error as Error).message;
    log.error({ err: error }, "merger failed");
    // A failure during start() reaches the caller as start()'s rejection instead.
    if (started) config.onFailure?.(error instanceof Error ? error : new Error(String(error)));
  };
  // Stall detection (the replicator's /health): batches in flight, and when one last finished.
  let inFlight = 0;
  let lastProgressAt = config.clock();
  const onBatch: typeof worker.onBatch = async (batch, controls) => {
    if (inFlight++ === 0) lastProgressAt = config.clock();
    try {
      return await worker.onBatch(batch, controls);
    } finally {
      inFlight -= 1;
      lastProgressAt = config.clock();
    }
  };
  const housekeeping = createHousekeeping({
    pool,
    progress: worker.progress,
    metrics,
    clock: config.clock,
    log,
    collector: createMergerCollector(config, options, pool, worker.layouts, log),
  });
  const lagSeconds = (): Record<string, number> => housekeeping.lagSeconds();

  return {
    async start() {
      if (state !== "idle")
        throw new MergerConfigError(
          `merger ${config.region}: start() called in state ${state}; create a new merger`,
          "state",
        );
      state = "starting";
      try {
        await checkDatabase(pool, config.region);
        // This region's own cluster down must not stop merging the others' (their clusters may
        // be up): a dead letter fails its batch, to be retried, until the topic is ensured.
        await ensureDeadLetterTopic().catch((error: unknown) => {
          if (!isRetriable(error)) throw error;
          log.warn(
            { err: error, topic: deadLetterTopic(config.region) },
            "this region's Kafka cluster is unreachable: merging goes on, dead letters wait for it",
          );
        });
        await housekeeping.prune(options.conflictRetentionHours);
        const c = createClusterConsumers({
          clusters,
          open: openCluster,
          logger: log,
          retryMs: CLUSTER_RETRY_MS,
        });
        consumers = c;
        await worker.progress.load([]);
        await c.start();
        housekeeping.start(options, {
          mergeTransaction: worker.mergeTransaction,
          layouts: worker.layouts,
        });
        state = "running";
        log.info({ topics }, "merger running");
      } catch (error) {
        fail(error);
        throw error;
      }
    },
    async stop() {
      if (state === "stopped" || state === "stopping") return;
      state = "stopping";
      housekeeping.stop();
      try {
        await consumers?.stop();
        await deadLetters.close();
      } finally {
        await pool.end();
        state = "stopped";
        log.info("merger stopped");
      }
    },
    status: () => ({
      state,
      region: config.region,
      topics,
      lagSeconds: lagSeconds(),
      lastError,
      inFlightBatches: inFlight,
      lastProgressAt,
    }),
  };
}
