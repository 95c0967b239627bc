// Consumer lag in records, per source partition: the partition's high watermark in Kafka minus
// the next offset this region applies from it (its georep.progress row, written by whichever
// merge worker holds the partition). A hook the replicator starts beside the merger: the
// merger's own timers know neither Kafka's address nor need a Kafka admin connection.
//
//   created ──(immediately, then every intervalMs)──▶ refresh ──▶ … ──stop()──▶ stopped
import { startPeriodic } from "@georep/retry";
import pg from "pg";
import { pgConnection } from "@georep/schema";
import { z } from "zod";
import { createKafka } from "@georep/kafka";
import type { KafkaSecurity } from "@georep/kafka";
import type { Logger, Metrics } from "@georep/observability";
import { createMergerMetrics } from "./metrics.ts";
import type { PartitionBacklog } from "./metrics.ts";
import type { RegionRef } from "./options.ts";
import { readAppliedProgress } from "./progress-store.ts";
import type { AppliedPartition } from "./progress-store.ts";
import { sourceTopics } from "./routing.ts";
import type { SourceTopic } from "./routing.ts";
import { MergerConfigError } from "./errors.ts";
import { sourceClusters } from "./source-clusters.ts";
import type { ClusterMap } from "./source-clusters.ts";

/** End offset (high watermark) per partition, per topic. */
export type TopicEnds = ReadonlyMap<string, ReadonlyMap<number, bigint>>;

/**
 * Records not applied yet in every partition of `sources` that Kafka reports. A partition with
 * no progress row counts from offset 0: nothing of it has been applied.
 */
export function consumerBacklog(
  sources: readonly SourceTopic[],
  ends: TopicEnds,
  applied: readonly AppliedPartition[],
): PartitionBacklog[] {
  const next = new Map(applied.map((a) => [`${a.topic}:${a.partition}`, a.offset + 1n]));
  return sources.flatMap((s) =>
    [...(ends.get(s.topic) ?? new Map<number, bigint>())].map(([partition, end]) => {
      const behind = end - (next.get(`${s.topic}:${partition}`) ?? 0n);
      return {
        origin: s.origin,
        topic: s.topic,
        partition,
        records: behind > 0n ? Number(behind) : 0,
      };
    }),
  );
}

const optionsSchema = z
  .object({
    /** How often Kafka and georep.progress are read (each read opens a Kafka admin connection). */
    intervalMs: z.number().int().min(1_000).default(15_000),
  })
  .strict();

export interface ConsumerLagMetricsConfig {
  readonly region: string;
  readonly regions: readonly RegionRef[];
  readonly pgUrl: string;
  /** The password of pgUrl's user (a secret: never logged). */
  readonly pgPassword?: string | undefined;
  /** As the merger's: `clusters` names an origin's brokers when its topics are on its own cluster. */
  readonly kafka: ClusterMap;
  /** SASL_SSL on every cluster (resolved secrets: never logged); absent: plaintext. */
  readonly kafkaSecurity?: KafkaSecurity | undefined;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly options?: z.input<typeof optionsSchema>;
}

export interface ConsumerLagMetrics {
  /** Reads once now and sets the gauges. @throws KafkaError or pg's error when a read fails. */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Sets `georep_consumer_lag_records{origin,topic,partition}` now and every intervalMs; a failed
 * read is logged and the gauges keep their last values.
 * @throws MergerConfigError when the options are invalid.
 */
export function startConsumerLagMetrics(config: ConsumerLagMetricsConfig): ConsumerLagMetrics {
  const parsed = optionsSchema.safeParse(config.options ?? {});
  if (!parsed.success)
    throw new MergerConfigError(
      `consumer lag metrics: ${parsed.error.issues[0]?.message ?? "invalid options"}`,
      "options",
    );
  const log = config.logger.child({ component: "consumer-lag", region: config.region });
  const sources = sourceTopics(config.region, config.regions);
  const topics = sources.map((s) => s.topic);
  const metrics = createMergerMetrics(config.metrics);
  const pool = new pg.Pool({
    ...pgConnection(config.pgUrl, config.pgPassword),
    max: 1,
    application_name: `georep-consumer-lag-${config.region}`,
  });
  pool.on("error", (error) => {
    log.warn({ err: error }, "idle PostgreSQL connection failed");
  });
  const clusters = sourceClusters(config.region, config.regions, config.kafka).map((c) => ({
    topics: c.topics,
    kafka: createKafka({
      brokers: c.brokers,
      clientId: `georep-consumer-lag-${config.region}`,
      logger: log,
      ...(config.kafkaSecurity === undefined ? {} : { security: config.kafkaSecurity }),
    }),
  }));
  // Kafka first: an offset applied between the two reads then shows as lag for one interval,
  // never as a negative one hidden by the clamp. A cluster that does not answer (per-region
  // clusters, a peer's down) leaves its topics' gauges as they were; the others are refreshed.
  const refresh = async (): Promise<void> => {
    const read = await Promise.allSettled(
      clusters.flatMap((c) =>
        c.topics.map(async (t) => [t, await c.kafka.admin.topicEnds(t)] as const),
      ),
    );
    const ends = new Map(read.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])));
    const failed = read.find((r) => r.status === "rejected");
    if (ends.size > 0)
      metrics.setConsumerLag(
        consumerBacklog(sources, ends, await readAppliedProgress(pool, topics)),
      );
    if (failed !== undefined) throw failed.reason;
  };
  const periodic = startPeriodic(refresh, {
    intervalMs: parsed.data.intervalMs,
    onError: (error) => {
      log.warn({ err: error }, "reading the consumer lag failed; trying again");
    },
  });
  return {
    refresh,
    async stop() {
      await periodic.stop();
      await pool.end();
    },
  };
}
