import type { Admin } from "kafkajs";

/**
 * The topics' replication factor is more than the cluster has brokers: creating them would fail
 * (INVALID_REPLICATION_FACTOR), or a too-small development config would meet a production
 * default. Not retriable: restarting does not add brokers; the config or the cluster must change.
 */
export class ClusterTooSmallError extends Error {
  override readonly name = "ClusterTooSmallError";
  readonly retriable = false;
  /** The config field to change (the replicator config's). */
  readonly field = "kafka.replicationFactor";

  constructor(
    readonly replicationFactor: number,
    readonly brokers: number,
    options?: { cause?: unknown },
  ) {
    super(clusterSizeMessage(replicationFactor, brokers), options);
  }
}

/** The refusal, naming the field and the fix. Pure. */
export function clusterSizeMessage(replicationFactor: number, brokers: number): string {
  const fix =
    brokers <= 1
      ? "for a single-broker development stack set kafka.replicationFactor: 1 and kafka.topic.minInsyncReplicas: 1"
      : `add brokers, or set kafka.replicationFactor to at most ${brokers} and kafka.topic.minInsyncReplicas below it (so a broker may fail without stopping writes)`;
  return `kafka.replicationFactor is ${replicationFactor} but the cluster has ${brokers} broker${brokers === 1 ? "" : "s"}; ${fix}`;
}

interface ReplicatedTopic {
  readonly topic: string;
  readonly replicationFactor: number;
}

/**
 * Refuses topics whose replication factor the cluster cannot hold. A topic that already exists
 * with that many replicas passes even when fewer brokers answer now: a broker of a big enough
 * cluster may be down, and a replicator restarted meanwhile must still start.
 * @throws ClusterTooSmallError naming the replication factor and the broker count.
 */
export async function checkClusterSize(
  admin: Admin,
  topics: readonly ReplicatedTopic[],
  present: ReadonlySet<string>,
): Promise<void> {
  const { brokers } = await admin.describeCluster();
  const short = topics.filter((t) => t.replicationFactor > brokers.length);
  const first = short[0];
  if (first === undefined) return;
  if (short.every((t) => present.has(t.topic))) {
    const wanted = new Map(short.map((t) => [t.topic, t.replicationFactor]));
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...wanted.keys()] });
    const replicated = metadata.every((m) =>
      m.partitions.every((p) => p.replicas.length >= (wanted.get(m.name) ?? 0)),
    );
    if (replicated) return;
  }
  throw new ClusterTooSmallError(first.replicationFactor, brokers.length);
}
