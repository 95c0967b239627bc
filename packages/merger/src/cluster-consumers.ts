// One batch consumer per source cluster (per-region clusters, docs/operate.md "Topology").
// A peer's cluster that cannot be reached when the merger starts must not keep this region from
// merging the others: its consumer is started again every retryMs in the background.
//
//   per cluster:  starting ──ok──▶ consuming
//                 starting ──fails──▶ waiting (retryMs) ──▶ starting …
//   all:          any ──stop()──▶ stopped
//   start() throws only when no cluster could be started at all (with one shared cluster: as
//   before, a Kafka that is down fails the merger's start).
import type { BatchConsumer } from "@georep/kafka";
import type { Logger } from "@georep/observability";
import type { SourceCluster } from "./source-clusters.ts";

export interface ClusterConsumers {
  /** @throws the first cluster's error when none of them started. */
  start(): Promise<void>;
  /** Clusters whose consumer is not running yet (brokers joined by ","). */
  waiting(): readonly string[];
  stop(): Promise<void>;
}

export interface ClusterConsumersDeps {
  readonly clusters: readonly SourceCluster[];
  /** Ensures the cluster's topics and builds its consumer; called again on each retry. */
  readonly open: (cluster: SourceCluster) => Promise<BatchConsumer>;
  readonly logger: Logger;
  readonly retryMs: number;
}

export function createClusterConsumers(deps: ClusterConsumersDeps): ClusterConsumers {
  const running = new Map<SourceCluster, BatchConsumer>();
  const pending = new Set<SourceCluster>(deps.clusters);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let attempt: Promise<unknown> = Promise.resolve();
  const name = (c: SourceCluster): string => c.brokers.join(",");

  async function tryOne(cluster: SourceCluster): Promise<unknown> {
    let consumer: BatchConsumer | undefined;
    try {
      consumer = await deps.open(cluster);
      await consumer.start();
      if (stopped) {
        await consumer.stop();
        return undefined;
      }
      running.set(cluster, consumer);
      pending.delete(cluster);
      return undefined;
    } catch (error) {
      await consumer?.stop().catch(() => undefined);
      return error;
    }
  }

  async function tryPending(): Promise<unknown[]> {
    const errors = await Promise.all([...pending].map(tryOne));
    return errors.filter((e) => e !== undefined);
  }

  function retryLater(): void {
    if (stopped || pending.size === 0) return;
    timer = setTimeout(() => {
      attempt = tryPending().then((errors) => {
        for (const c of pending)
          deps.logger.warn(
            { brokers: name(c), origins: c.origins, errors: errors.length },
            "a source cluster is still unreachable; its origins are not merged until it answers",
          );
        retryLater();
      });
    }, deps.retryMs);
  }

  return {
    async start() {
      const errors = await tryPending();
      if (running.size === 0 && errors.length > 0) throw errors[0];
      for (const c of pending)
        deps.logger.warn(
          { brokers: name(c), origins: c.origins, retryMs: deps.retryMs },
          "a source cluster is unreachable; merging the others and retrying it",
        );
      retryLater();
    },
    waiting: () => [...pending].map(name),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await attempt;
      await Promise.all([...running.values()].map((c) => c.stop()));
      running.clear();
    },
  };
}
