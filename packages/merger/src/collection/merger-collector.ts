import type { Pool } from "pg";
import type { Logger } from "@georep/observability";
import type { StateLayout } from "@georep/schema";
import type { MergerConfig } from "../merger-types.ts";
import type { MergerOptions } from "../options.ts";
import { sourceTopics } from "../routing.ts";
import { createCollectionMetrics } from "./collection-metrics.ts";
import { createCollector } from "./collector.ts";
import type { Collector } from "./collector.ts";
import { liveRegions } from "./live-regions.ts";

/** The merger's tombstone collector, wired from its config and options. */
export function createMergerCollector(
  config: MergerConfig,
  options: MergerOptions,
  pool: Pool,
  layouts: ReadonlyMap<string, StateLayout>,
  log: Logger,
): Collector {
  return createCollector({
    pool,
    self: config.region,
    live: () => liveRegions(config.regions),
    sources: sourceTopics(config.region, config.regions),
    partitions: options.topicPartitions,
    layouts,
    metrics: createCollectionMetrics(config.metrics),
    clock: config.clock,
    log,
    collect: options.collectTombstones,
    batchKeys: options.collectionBatchKeys,
    graceMs: options.collectionGraceSeconds * 1000,
    blockedAfterSeconds: options.collectionBlockedAfterSeconds,
    lockTimeoutMs: 100,
  });
}
