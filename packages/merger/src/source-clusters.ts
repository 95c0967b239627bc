// Which Kafka cluster holds which source topics. With one shared cluster every source topic is on
// it; with per-region clusters each origin's topics are on the origin's own cluster, and the
// merger runs one consumer per cluster (docs/operate.md, "Topology").
import type { RegionRef } from "./options.ts";
import { sourceTopics } from "./routing.ts";

/** The brokers of each origin's cluster; an origin left out is on `brokers` (the shared cluster). */
export interface ClusterMap {
  readonly brokers: readonly string[];
  readonly clusters?: Readonly<Record<string, readonly string[]>>;
}

export interface SourceCluster {
  readonly brokers: readonly string[];
  /** The origins whose topics this cluster holds, for logs. */
  readonly origins: readonly string[];
  readonly topics: readonly string[];
}

/** Brokers of the cluster that holds `origin`'s topics. */
export const brokersOf = (map: ClusterMap, origin: string): readonly string[] =>
  map.clusters?.[origin] ?? map.brokers;

/**
 * The merger's source topics grouped by cluster. Two origins are on one cluster when their broker
 * lists hold the same addresses (order ignored), so the shared form gives one group, as before.
 */
export function sourceClusters(
  region: string,
  regions: readonly RegionRef[],
  map: ClusterMap,
): SourceCluster[] {
  const groups = new Map<
    string,
    { brokers: readonly string[]; origins: string[]; topics: string[] }
  >();
  for (const s of sourceTopics(region, regions)) {
    const brokers = brokersOf(map, s.origin);
    const key = [...brokers].sort().join(",");
    const group = groups.get(key) ?? { brokers, origins: [], topics: [] };
    if (!group.origins.includes(s.origin)) group.origins.push(s.origin);
    group.topics.push(s.topic);
    groups.set(key, group);
  }
  return [...groups.values()];
}
