import { describe, expect, it } from "vitest";
import type { Admin } from "kafkajs";
import { ClusterTooSmallError, checkClusterSize, clusterSizeMessage } from "../src/cluster-size.ts";

/** An admin client that reports `brokers` brokers and topics with `replicas` replicas each. */
function fakeAdmin(brokers: number, replicas: number): Admin {
  return {
    describeCluster: () =>
      Promise.resolve({ brokers: Array.from({ length: brokers }, (_v, i) => ({ nodeId: i })) }),
    fetchTopicMetadata: ({ topics }: { topics: string[] }) =>
      Promise.resolve({
        topics: topics.map((name) => ({
          name,
          partitions: [
            { partitionId: 0, replicas: Array.from({ length: replicas }, (_v, i) => i) },
          ],
        })),
      }),
  } as unknown as Admin;
}

const topic = { topic: "georep.us-east", replicationFactor: 3 };

describe("checkClusterSize", () => {
  it("refuses replication factor 3 on one broker, naming the field and the development fix", async () => {
    const error = await checkClusterSize(fakeAdmin(1, 1), [topic], new Set()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClusterTooSmallError);
    expect((error as ClusterTooSmallError).field).toBe("kafka.replicationFactor");
    expect((error as ClusterTooSmallError).retriable).toBe(false);
    expect((error as Error).message).toBe(
      "kafka.replicationFactor is 3 but the cluster has 1 broker; for a single-broker development stack set kafka.replicationFactor: 1 and kafka.topic.minInsyncReplicas: 1",
    );
  });

  it("refuses an existing topic with fewer replicas than asked on too small a cluster", async () => {
    await expect(
      checkClusterSize(fakeAdmin(1, 1), [topic], new Set([topic.topic])),
    ).rejects.toBeInstanceOf(ClusterTooSmallError);
  });

  it("passes existing fully replicated topics while a broker of the cluster is down", async () => {
    await expect(
      checkClusterSize(fakeAdmin(2, 3), [topic], new Set([topic.topic])),
    ).resolves.toBeUndefined();
  });

  it("refuses a topic to create while too few brokers answer", async () => {
    await expect(checkClusterSize(fakeAdmin(2, 3), [topic], new Set())).rejects.toThrow(
      "kafka.replicationFactor is 3 but the cluster has 2 brokers; add brokers, or set kafka.replicationFactor to at most 2 and kafka.topic.minInsyncReplicas below it (so a broker may fail without stopping writes)",
    );
  });

  it("passes when the cluster has enough brokers", async () => {
    await expect(checkClusterSize(fakeAdmin(3, 0), [topic], new Set())).resolves.toBeUndefined();
  });

  it("says 'broker' for one and 'brokers' otherwise", () => {
    expect(clusterSizeMessage(2, 1)).toContain("has 1 broker;");
    expect(clusterSizeMessage(5, 3)).toContain("has 3 brokers;");
  });
});
