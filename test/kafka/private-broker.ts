// A private single-broker cluster for a test of the Kafka client itself, on ports of its own, so
// that stopping or delaying it disturbs no other test. Started fresh (a crashed run's broker and
// data are removed first) with the given single-partition topics.
import { rmSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import { findRepoRoot } from "@georep/testkit";
import { stackConfig } from "../../tools/stack/config.ts";
import { regionClusterLayout, regionClusterProcess } from "../../tools/stack/kafka-regions.ts";
import type { ExtraListener, RegionClusterProcess } from "../../tools/stack/kafka-regions.ts";

export interface PrivateBroker {
  readonly process: RegionClusterProcess;
  /** A kafkajs client of the broker's own (undelayed) listener, for the test's admin and producer. */
  kafkajs(clientId: string): Kafka;
  /** Kills the broker and deletes its data. */
  close(): Promise<void>;
}

export async function startPrivateBroker(o: {
  readonly id: string;
  /** The broker's port; the controller takes the next one. */
  readonly port: number;
  readonly listeners?: readonly ExtraListener[];
  readonly topics: readonly string[];
}): Promise<PrivateBroker> {
  const stack = stackConfig(findRepoRoot(), process.env);
  const [cluster] = regionClusterLayout(
    stack,
    [{ id: o.id, ...(o.listeners === undefined ? {} : { listeners: o.listeners }) }],
    o.port,
  );
  if (cluster === undefined) throw new Error("no cluster layout");
  const broker = regionClusterProcess(cluster);
  await broker.stop("kill"); // one left by a crashed run
  rmSync(cluster.kafka.dir, { recursive: true, force: true });
  await broker.start();
  const kafkajs = (clientId: string): Kafka =>
    new Kafka({ clientId, brokers: [cluster.broker], logLevel: logLevel.NOTHING });
  const admin = kafkajs(`${o.id}-admin`).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: o.topics.map((topic) => ({ topic, numPartitions: 1 })) });
  } finally {
    await admin.disconnect();
  }
  return {
    process: broker,
    kafkajs,
    async close() {
      await broker.stop("kill");
      rmSync(cluster.kafka.dir, { recursive: true, force: true });
    },
  };
}
