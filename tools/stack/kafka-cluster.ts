// A replicated KRaft cluster for tests: N combined broker+controller nodes, a static N-voter
// quorum, each node a detached JVM with its own pid file, all under one directory. Uses the dev
// stack's jars (tools/kafka/target/libs) and runs each node exactly like the dev broker
// (kafka-node.ts); only ports, node ids and replication of the internal topics differ. A secure
// cluster (`secure`) makes every node as the secure stack's broker is (kafka-secure.ts: SASL_SSL
// between clients and brokers and between brokers, mTLS between controllers, ACLs).
//
//   absent ──format every node (fresh cluster id)──▶ formatted ──spawn every JVM──▶ starting
//   starting ──admin sees N brokers and a group coordinator──▶ ready
//   ready ──kill9(node)──▶ degraded ──restart(node)──▶ ready ──stop()──▶ stopped (dir kept)
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { StackError } from "./errors.ts";
import { ensureJavaAndMaven, fetchJars, newClusterId } from "./kafka.ts";
import {
  checkBrokers,
  formatStorage,
  kafkaPid,
  log4j2Yaml,
  nodeProperties,
  spawnKafkaJvm,
  tail,
} from "./kafka-node.ts";
import type { KafkaJvmFiles, KafkaNodeLayout, KafkaQuorum } from "./kafka-node.ts";
import type { StackConfig } from "./config.ts";
import { clusterSecurity, writeKeystore } from "./kafka-secure.ts";
import type { SecureBrokerMaterials } from "./kafka-secure.ts";
import { isAlive, stopProcess } from "./proc.ts";
import { isPortFree, portOwner } from "./ports.ts";

/** Brokers on 19192, 19194, …; each node's controller on the port above its broker's. */
export const CLUSTER_BASE_PORT = 19192;
/** Each JVM's heap: three of them share a small machine with the dev stack. */
const HEAP_MB = 256;

export interface ClusterNode extends KafkaNodeLayout {
  readonly dir: string;
  readonly files: KafkaJvmFiles;
  readonly pidFile: string;
  readonly address: string;
}

export interface ClusterLayout {
  readonly dir: string;
  readonly nodes: readonly ClusterNode[];
  readonly quorum: KafkaQuorum;
  readonly brokers: readonly string[];
  /** Set for a secure cluster: the secure stack's CA, certificate and admin. */
  readonly secure?: SecureBrokerMaterials;
}

/**
 * The cluster's directories and ports (node ids 1..size) under `<stackDir>/cluster<size>`; a
 * secure cluster's brokers are addressed as localhost, the name their certificate holds. Pure.
 */
export function clusterLayout(
  kafka: StackConfig["kafka"],
  stackDir: string,
  size = 3,
  basePort = CLUSTER_BASE_PORT,
  secure?: SecureBrokerMaterials,
): ClusterLayout {
  const dir = join(stackDir, `cluster${size}`);
  const nodes = Array.from({ length: size }, (_v, i): ClusterNode => {
    const nodeId = i + 1;
    const nodeDir = join(dir, `node-${nodeId}`);
    const port = basePort + 2 * i;
    return {
      nodeId,
      port,
      controllerPort: port + 1,
      dataDir: join(nodeDir, "data"),
      dir: nodeDir,
      pidFile: join(nodeDir, "kafka.pid"),
      address: `${clusterSecurity(secure).host}:${port}`,
      files: {
        dir: nodeDir,
        properties: join(nodeDir, "server.properties"),
        log4j2: join(nodeDir, "log4j2.yaml"),
        logsDir: nodeDir,
        outFile: join(nodeDir, "kafka.out"),
        logFile: join(nodeDir, "kafka.log"),
        classpath: `${kafka.libsDir}/*`,
      },
    };
  });
  return {
    dir,
    nodes,
    quorum: { kind: "voters", voters: nodes },
    brokers: nodes.map((n) => n.address),
    ...(secure === undefined ? {} : { secure }),
  };
}

/** One node's server.properties in the cluster (with the admin password when secure). Pure. */
export function clusterNodeProperties(layout: ClusterLayout, node: ClusterNode): string {
  const plain = nodeProperties(node, {
    quorum: layout.quorum,
    writtenBy: "tools/stack/kafka-cluster.ts",
  });
  return clusterSecurity(layout.secure).properties(plain, node, node.dir);
}

export interface KafkaCluster {
  readonly layout: ClusterLayout;
  readonly brokers: readonly string[];
  /** The live JVM of a node, if any. */
  pid(nodeId: number): number | undefined;
  /** SIGKILLs one node's JVM (no controlled shutdown) and waits until it is gone. */
  kill9(nodeId: number): Promise<void>;
  /** Starts a stopped node again on its existing storage (does not wait for it to rejoin). */
  restart(nodeId: number): void;
  /** Stops every node (SIGTERM, SIGKILL after 20 s). Idempotent. */
  stop(): Promise<void>;
}

function node(layout: ClusterLayout, nodeId: number): ClusterNode {
  const n = layout.nodes.find((x) => x.nodeId === nodeId);
  if (n === undefined)
    throw new StackError(
      `the cluster has no node ${nodeId}`,
      `use a node id from 1 to ${layout.nodes.length}`,
    );
  return n;
}

/**
 * Stops every node of the layout that is running (left over from an earlier run or this one).
 * @throws StackError when a JVM survives SIGKILL.
 */
export async function stopCluster(layout: ClusterLayout): Promise<void> {
  await Promise.all(
    layout.nodes.map(async (n) => {
      const pid = kafkaPid(n.pidFile);
      if (pid !== undefined) await stopProcess(pid, `Kafka cluster node ${n.nodeId}`, 20_000);
      rmSync(n.pidFile, { force: true });
    }),
  );
}

/**
 * Polls until every node is alive and the cluster reports `size` brokers and a group coordinator.
 * @throws StackError with the logs' tails when a JVM exits or time runs out.
 */
export async function waitClusterReady(layout: ClusterLayout, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let problem: string | undefined = "not polled yet";
  const readiness = clusterSecurity(layout.secure).readiness();
  while (Date.now() < until) {
    const dead = layout.nodes.find((n) => kafkaPid(n.pidFile) === undefined);
    if (dead !== undefined)
      throw new StackError(
        `Kafka cluster node ${dead.nodeId} exited while starting:\n    ${tail(dead.files.outFile, 8)}\n    ${tail(dead.files.logFile, 8)}`,
        `see ${dead.files.logFile}; delete ${layout.dir} for a fresh cluster`,
      );
    problem = await checkBrokers(layout.brokers, {
      brokers: layout.nodes.length,
      groups: true,
      ...readiness,
    });
    if (problem === undefined) return;
    await delay(250);
  }
  throw new StackError(
    `the Kafka cluster did not become ready in ${timeoutMs / 1000}s (last: ${problem})`,
    `see the kafka.log files under ${layout.dir}`,
  );
}

/**
 * Starts a fresh cluster: stops what an earlier run left, deletes its storage, formats every node
 * with a new cluster id and starts them, then waits until it is ready. Fetches the jars if the
 * dev stack has not yet.
 * @throws StackError when Java is missing, a port is taken, formatting fails or a node exits.
 */
export async function startKafkaCluster(
  kafka: StackConfig["kafka"],
  stackDir: string,
  size = 3,
  secure?: SecureBrokerMaterials,
): Promise<KafkaCluster> {
  const layout = clusterLayout(kafka, stackDir, size, CLUSTER_BASE_PORT, secure);
  await stopCluster(layout);
  await fetchJars(kafka);
  await ensureJavaAndMaven(false);
  for (const n of layout.nodes)
    for (const port of [n.port, n.controllerPort])
      if (!(await isPortFree(port)))
        throw new StackError(
          `the Kafka cluster's port ${port} is taken by ${portOwner(port)}`,
          `stop that process ('ss -ltnp sport = :${port}' shows it); the cluster uses ${layout.nodes[0]?.port ?? CLUSTER_BASE_PORT}-${(layout.nodes.at(-1)?.controllerPort ?? 0).toString()}`,
        );
  rmSync(layout.dir, { recursive: true, force: true });
  const clusterId = newClusterId();
  await Promise.all(
    layout.nodes.map(async (n) => {
      mkdirSync(n.dataDir, { recursive: true, mode: 0o700 });
      if (secure !== undefined) writeKeystore(n.dir, secure);
      writeFileSync(n.files.properties, clusterNodeProperties(layout, n), { mode: 0o600 });
      writeFileSync(n.files.log4j2, log4j2Yaml(n.files.logFile));
      await formatStorage(
        n.files,
        n.dataDir,
        clusterId,
        layout.quorum.kind,
        clusterSecurity(secure).formatArgs,
      );
    }),
  );
  const cluster: KafkaCluster = {
    layout,
    brokers: layout.brokers,
    pid: (id) => kafkaPid(node(layout, id).pidFile),
    async kill9(id) {
      const pid = kafkaPid(node(layout, id).pidFile);
      if (pid === undefined) return;
      process.kill(pid, "SIGKILL");
      const until = Date.now() + 10_000;
      while (isAlive(pid) && Date.now() < until) await delay(50);
    },
    restart(id) {
      const n = node(layout, id);
      if (kafkaPid(n.pidFile) === undefined) spawnKafkaJvm(n.files, n.pidFile, HEAP_MB);
    },
    stop: () => stopCluster(layout),
  };
  try {
    for (const n of layout.nodes) spawnKafkaJvm(n.files, n.pidFile, HEAP_MB);
    await waitClusterReady(layout);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
