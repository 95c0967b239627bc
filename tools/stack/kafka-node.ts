// One combined broker+controller KRaft node: its server.properties, storage format, detached JVM
// and readiness check. Shared by the dev stack's single broker (kafka.ts) and the test cluster
// (kafka-cluster.ts), so both run Kafka the same way.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import type { KafkaConfig } from "kafkajs";
import { StackError } from "./errors.ts";
import { commandLine, isAlive, readPid, runOrFail } from "./proc.ts";

/** Where one node listens and keeps its data. */
export interface KafkaNodeLayout {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
}

/**
 * How a node finds the controller quorum: the dev broker formats a dynamic quorum of itself
 * (`--standalone`, bootstrap servers); the cluster lists its three voters statically, which needs
 * no directory ids at format time.
 */
export type KafkaQuorum =
  | { readonly kind: "standalone" }
  | { readonly kind: "voters"; readonly voters: readonly KafkaNodeLayout[] };

/** server.properties for one combined broker+controller node. Pure. */
export function nodeProperties(
  node: KafkaNodeLayout,
  o: { readonly quorum: KafkaQuorum; readonly writtenBy: string },
): string {
  const brokers = o.quorum.kind === "standalone" ? 1 : o.quorum.voters.length;
  // Internal topics replicated like georep's own: every broker, and writes need two in sync, so
  // losing one broker of three loses no committed offset or producer state.
  const replicas = String(brokers);
  const minIsr = String(Math.min(2, brokers));
  const quorum =
    o.quorum.kind === "standalone"
      ? `controller.quorum.bootstrap.servers=127.0.0.1:${node.controllerPort}`
      : `controller.quorum.voters=${o.quorum.voters.map((v) => `${v.nodeId}@127.0.0.1:${v.controllerPort}`).join(",")}`;
  const listeners = `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`;
  return [
    `# Written by ${o.writtenBy}; changes here are overwritten.`,
    "process.roles=broker,controller",
    `node.id=${node.nodeId}`,
    quorum,
    `listeners=${listeners}`,
    `advertised.listeners=${listeners}`,
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    `log.dirs=${node.dataDir}`,
    "num.partitions=6",
    "auto.create.topics.enable=false",
    `offsets.topic.replication.factor=${replicas}`,
    // Fewer internal partitions make the first consumer group and producer id faster.
    "offsets.topic.num.partitions=6",
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minIsr}`,
    "transaction.state.log.num.partitions=6",
    `share.coordinator.state.topic.replication.factor=${replicas}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    "group.initial.rebalance.delay.ms=0",
    "delete.topic.enable=true",
    // The broker deletes expired segments only on this check (default 5 minutes); the retention
    // gap test shrinks a topic's retention and needs the deletion within seconds.
    "log.retention.check.interval.ms=2000",
    "",
  ].join("\n");
}

/** log4j2 configuration: everything to `logFile`, rolled at 50 MB. Pure. */
export function log4j2Yaml(logFile: string): string {
  return `Configuration:
  Appenders:
    RollingFile:
      name: file
      fileName: "${logFile}"
      filePattern: "${logFile}.%i"
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
      SizeBasedTriggeringPolicy:
        size: 50MB
      DefaultRolloverStrategy:
        max: 3
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: file
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: org.apache.kafka.controller
        level: INFO
`;
}

export function javaBin(): string {
  const home = process.env["JAVA_HOME"];
  return home !== undefined && existsSync(join(home, "bin", "java"))
    ? join(home, "bin", "java")
    : "java";
}

/** The pid in `pidFile` if it names a live `kafka.Kafka` JVM. */
export function kafkaPid(pidFile: string): number | undefined {
  const pid = readPid(pidFile);
  return pid !== undefined && isAlive(pid) && commandLine(pid).includes("kafka.Kafka")
    ? pid
    : undefined;
}

/** Files of one node's JVM: its config directory, log4j2 file and stdout/stderr file. */
export interface KafkaJvmFiles {
  readonly dir: string;
  readonly properties: string;
  readonly log4j2: string;
  readonly logsDir: string;
  readonly outFile: string;
  readonly logFile: string;
  readonly classpath: string;
}

/** The files of a node that keeps everything in its own directory (logs included). Pure. */
export function selfContainedJvmFiles(k: {
  readonly dir: string;
  readonly logFile: string;
  readonly libsDir: string;
}): KafkaJvmFiles {
  return {
    dir: k.dir,
    properties: join(k.dir, "server.properties"),
    log4j2: join(k.dir, "log4j2.yaml"),
    logsDir: k.dir,
    outFile: join(k.dir, "kafka.out"),
    logFile: k.logFile,
    classpath: `${k.libsDir}/*`,
  };
}

/**
 * Formats the node's storage unless it already is.
 * @throws StackError with StorageTool's output when formatting fails.
 */
export async function formatStorage(
  f: KafkaJvmFiles,
  dataDir: string,
  clusterId: string,
  quorum: KafkaQuorum["kind"],
  /** More StorageTool arguments, e.g. `--add-scram` for the secure broker's admin (KIP-900). */
  extraArgs: readonly string[] = [],
): Promise<void> {
  if (existsSync(join(dataDir, "meta.properties"))) return;
  await runOrFail(
    javaBin(),
    [
      `-Dlog4j2.configurationFile=${f.log4j2}`,
      "-cp",
      f.classpath,
      "kafka.tools.StorageTool",
      "format",
      // A static voters quorum is formatted without either quorum flag.
      ...(quorum === "standalone" ? ["--standalone"] : []),
      "-t",
      clusterId,
      "-c",
      f.properties,
      "--ignore-formatted",
      ...extraArgs,
    ],
    `delete ${f.dir} and retry; see ${f.logFile}`,
    { cwd: f.dir },
  );
}

/**
 * Starts `kafka.Kafka` detached (it outlives this process) and writes its pid to `pidFile`.
 * @throws StackError when java cannot be started.
 */
export function spawnKafkaJvm(f: KafkaJvmFiles, pidFile: string, heapMb: number): number {
  mkdirSync(f.logsDir, { recursive: true });
  const out = openSync(f.outFile, "a");
  const child = spawn(
    javaBin(),
    [
      `-Xmx${heapMb}m`,
      `-Xms${heapMb}m`,
      "-XX:+UseG1GC",
      "-XX:MaxGCPauseMillis=20",
      "-XX:+ExitOnOutOfMemoryError",
      "-Djava.awt.headless=true",
      `-Dlog4j2.configurationFile=${f.log4j2}`,
      `-Dkafka.logs.dir=${f.logsDir}`,
      "-cp",
      f.classpath,
      "kafka.Kafka",
      f.properties,
    ],
    { cwd: f.dir, detached: true, stdio: ["ignore", out, out] },
  );
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined)
    throw new StackError(
      "could not start java for a Kafka broker",
      "check that `java -version` works",
    );
  child.unref();
  writeFileSync(pidFile, `${pid}\n`);
  return pid;
}

/** The last `lines` lines of a log file, indented for an error message. */
export function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n    ");
  } catch {
    return "(no log)";
  }
}

/**
 * Why the brokers are not healthy, or undefined when they answer describeCluster (with at least
 * `brokers` brokers) and listTopics, and, with `groups`, find a group coordinator (the first
 * lookup creates __consumer_offsets).
 */
export async function checkBrokers(
  addresses: readonly string[],
  o: {
    readonly brokers: number;
    readonly groups: boolean;
    /** TLS and SASL for a secure broker (kafka-secure.ts). */
    readonly security?: Pick<KafkaConfig, "ssl" | "sasl">;
  },
): Promise<string | undefined> {
  const admin = new Kafka({
    clientId: "georep-stack",
    brokers: [...addresses],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 0 },
    ...o.security,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length < o.brokers)
      return `${cluster.brokers.length} of ${o.brokers} brokers in the cluster metadata`;
    await admin.listTopics();
    if (o.groups) await admin.describeGroups(["georep-stack-readiness"]);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
