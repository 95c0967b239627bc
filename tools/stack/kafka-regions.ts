// Per-region Kafka clusters for tests: one single-broker KRaft cluster per region, apart from the
// dev broker (which stays as it is), each with its own data under `.stack/kafka-regions/`.
//
//   layout (pure) ──start()──▶ formatted ──java kafka.Kafka──▶ starting ──admin polls──▶ ready
//   ready ──stop("kill" | "term")──▶ down ──start()──▶ ready (same data, same cluster id)
//
// The broker's settings come from the dev broker's (serverProperties in kafka.ts), its storage
// format and detached JVM from kafka-node.ts; only ports, the heap and extra listeners differ.
// The JVMs are detached (a pid file each): a test stops them in afterAll, `kill` in the pid file
// stops one left by a crashed run. An extra listener (e.g. `DELAYED_US_EAST`) is how a
// region reaches another region's cluster through a delaying proxy: it listens on `port` and
// advertises `advertisedPort` (the proxy's), so a client that bootstraps through the proxy is
// also told the proxy's address in metadata and never bypasses it. A secure cluster
// (`secure`) is set up as the secure stack's broker is (kafka-secure.ts: SASL_SSL only, mTLS
// controller, ACLs, the stack's CA and admin), with no extra listeners.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { StackConfig } from "./config.ts";
import { StackError } from "./errors.ts";
import { log4j2Yaml, newClusterId, serverProperties } from "./kafka.ts";
import {
  checkBrokers,
  formatStorage,
  kafkaPid,
  selfContainedJvmFiles,
  spawnKafkaJvm,
} from "./kafka-node.ts";
import { clusterSecurity, writeKeystore } from "./kafka-secure.ts";
import type { SecureBrokerMaterials } from "./kafka-secure.ts";
import { isAlive, stopProcess } from "./proc.ts";
import { isPortFree, portOwner } from "./ports.ts";

type KafkaConfig = StackConfig["kafka"];

/** Broker of cluster i on 19292 + 2i, its controller on the port above. */
export const REGION_CLUSTERS_BASE_PORT = 19292;

export interface ExtraListener {
  /** Listener name, upper case (PLAINTEXT security), e.g. `DELAYED_US_EAST`. */
  readonly name: string;
  /** Where the broker listens. */
  readonly port: number;
  /** What the broker advertises for it: the proxy in front of `port`. */
  readonly advertisedPort: number;
}

export interface RegionClusterSpec {
  readonly id: string;
  readonly listeners?: readonly ExtraListener[];
}

export interface RegionCluster {
  readonly id: string;
  /** The (undelayed) bootstrap address: `localhost` when secure, the name its certificate holds. */
  readonly broker: string;
  readonly kafka: KafkaConfig;
  readonly listeners: readonly ExtraListener[];
  /** Set for a secure cluster: the secure stack's CA, certificate and admin (secureBrokerMaterials). */
  readonly secure?: SecureBrokerMaterials;
}

/** The clusters' directories and ports, in `specs` order. Pure. */
export function regionClusterLayout(
  stack: Pick<StackConfig, "stackDir" | "kafka">,
  specs: readonly RegionClusterSpec[],
  basePort = REGION_CLUSTERS_BASE_PORT,
  secure?: SecureBrokerMaterials,
): RegionCluster[] {
  return specs.map((spec, i) => {
    const dir = join(stack.stackDir, "kafka-regions", spec.id);
    const port = basePort + 2 * i;
    if (secure !== undefined && (spec.listeners ?? []).length > 0)
      throw new StackError(
        `region cluster ${spec.id}: a secure cluster takes no extra listeners (they are PLAINTEXT)`,
        "run the delayed clusters plain, or give the delaying listeners SASL_SSL first",
      );
    return {
      id: spec.id,
      broker: `${clusterSecurity(secure).host}:${port}`,
      listeners: spec.listeners ?? [],
      ...(secure === undefined ? {} : { secure }),
      kafka: {
        pomDir: stack.kafka.pomDir,
        libsDir: stack.kafka.libsDir,
        dir,
        dataDir: join(dir, "data"),
        logFile: join(dir, "kafka.log"),
        port,
        controllerPort: port + 1,
      },
    };
  });
}

/**
 * The dev broker's server.properties with this cluster's extra listeners added, or, for a secure
 * cluster, made secure (its keystore in the cluster's directory). Pure.
 */
export function regionServerProperties(cluster: RegionCluster): string {
  if (cluster.secure !== undefined)
    return clusterSecurity(cluster.secure).properties(
      serverProperties(cluster.kafka),
      cluster.kafka,
      cluster.kafka.dir,
    );
  const extra = cluster.listeners;
  const add = (line: string, item: (l: ExtraListener) => string): string =>
    extra.length === 0 ? line : `${line},${extra.map(item).join(",")}`;
  const lines = serverProperties(cluster.kafka).split("\n");
  const changed = lines.map((line) => {
    if (line.startsWith("listeners=")) return add(line, (l) => `${l.name}://127.0.0.1:${l.port}`);
    if (line.startsWith("advertised.listeners="))
      return add(line, (l) => `${l.name}://127.0.0.1:${l.advertisedPort}`);
    if (line.startsWith("listener.security.protocol.map="))
      return add(line, (l) => `${l.name}:PLAINTEXT`);
    return line;
  });
  for (const key of ["listeners=", "advertised.listeners=", "listener.security.protocol.map="])
    if (extra.length > 0 && !lines.some((l) => l.startsWith(key)))
      throw new StackError(
        `the dev broker's server.properties has no '${key}' line to add listeners to`,
        "update regionServerProperties in tools/stack/kafka-regions.ts to the new serverProperties",
      );
  return changed.join("\n");
}

/** The pid of a broker of `cluster` that is running now (another test's, or one left by a crash). */
export function regionClusterPid(cluster: RegionCluster): number | undefined {
  return kafkaPid(join(cluster.kafka.dir, "kafka.pid"));
}

/** One running region cluster; `stop` takes it down (the outage), `start` brings it back. */
export interface RegionClusterProcess {
  readonly cluster: RegionCluster;
  readonly running: boolean;
  /** Starts the broker (formatting its storage the first time) and waits until it serves groups. */
  start(timeoutMs?: number): Promise<void>;
  /** "kill": SIGKILL, a cluster lost at once; "term": controlled shutdown. Waits for the exit. */
  stop(how?: "kill" | "term"): Promise<void>;
}

/** @throws StackError when a port is taken, formatting fails or the broker is not ready in time. */
export function regionClusterProcess(cluster: RegionCluster): RegionClusterProcess {
  const k = cluster.kafka;
  const files = selfContainedJvmFiles(k);
  const pidFile = join(k.dir, "kafka.pid");
  const pid = (): number | undefined => kafkaPid(pidFile);
  return {
    cluster,
    get running() {
      return pid() !== undefined;
    },
    async start(timeoutMs = 90_000) {
      if (pid() !== undefined) return;
      mkdirSync(k.dataDir, { recursive: true, mode: 0o700 });
      const security = clusterSecurity(cluster.secure);
      if (cluster.secure !== undefined) writeKeystore(k.dir, cluster.secure);
      // A secure cluster's properties hold the admin password.
      writeFileSync(files.properties, regionServerProperties(cluster), { mode: 0o600 });
      writeFileSync(files.log4j2, log4j2Yaml(k.logFile));
      for (const port of [k.port, k.controllerPort, ...cluster.listeners.map((l) => l.port)])
        if (!(await isPortFree(port)))
          throw new StackError(
            `region cluster ${cluster.id}: port ${port} is taken by ${portOwner(port)}`,
            `stop that process ('ss -ltnp sport = :${port}'), or a cluster left by an earlier run`,
          );
      const idFile = join(k.dir, "cluster-id");
      // An id that starts with "-" reads as an option to StorageTool's argument parser.
      const id = newClusterId();
      if (!existsSync(idFile)) writeFileSync(idFile, `${id}\n`);
      await formatStorage(
        files,
        k.dataDir,
        readFileSync(idFile, "utf8").trim(),
        "standalone",
        security.formatArgs,
      );
      // A small heap: three of these run beside the dev broker on a shared 2-core machine.
      const started = spawnKafkaJvm(files, pidFile, 256);
      const until = Date.now() + timeoutMs;
      let problem: string | undefined = "not polled yet";
      const readiness = security.readiness();
      while (Date.now() < until) {
        if (!isAlive(started))
          throw new StackError(
            `region cluster ${cluster.id}: the broker exited while starting`,
            `see ${files.outFile} and ${k.logFile}`,
          );
        problem = await checkBrokers([cluster.broker], {
          brokers: 1,
          groups: true,
          ...readiness,
        });
        if (problem === undefined) return;
        await delay(250);
      }
      throw new StackError(
        `region cluster ${cluster.id} was not ready in ${timeoutMs / 1000} s (last: ${problem})`,
        `see ${k.logFile}`,
      );
    },
    async stop(how = "kill") {
      const running = pid();
      if (running === undefined) return;
      if (how === "term") await stopProcess(running, `region cluster ${cluster.id}`, 30_000);
      else {
        process.kill(running, "SIGKILL");
        while (isAlive(running)) await delay(50);
      }
      rmSync(pidFile, { force: true });
    },
  };
}
