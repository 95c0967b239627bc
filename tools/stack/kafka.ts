// One Apache Kafka broker in KRaft mode (combined broker + controller), jars from Maven Central.
//
//   no jars ──mvn copy-dependencies──▶ jars ──StorageTool format──▶ formatted
//   formatted ──java kafka.Kafka (detached, pid file)──▶ starting ──admin polls──▶ ready
//   ready ──SIGTERM (controlled shutdown)──▶ stopped
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { StackConfig } from "./config.ts";
import { StackError } from "./errors.ts";
import {
  checkBrokers,
  formatStorage,
  javaBin,
  kafkaPid,
  log4j2Yaml,
  nodeProperties,
  spawnKafkaJvm,
  tail,
} from "./kafka-node.ts";
import type { KafkaJvmFiles } from "./kafka-node.ts";
import { aptInstall, isAlive, probe, runOrFail, stopProcess, which } from "./proc.ts";
import { isPortFree, portOwner } from "./ports.ts";

export { log4j2Yaml } from "./kafka-node.ts";

type KafkaConfig = StackConfig["kafka"];

export function brokerAddress(k: KafkaConfig): string {
  return `127.0.0.1:${k.port}`;
}

/** server.properties for a single combined broker+controller. Pure. */
export function serverProperties(k: KafkaConfig): string {
  return nodeProperties(
    { nodeId: 1, port: k.port, controllerPort: k.controllerPort, dataDir: k.dataDir },
    { quorum: { kind: "standalone" }, writtenBy: "`pnpm stack up` (tools/stack/kafka.ts)" },
  );
}

function javaMajor(): number | undefined {
  const r = probe(javaBin(), ["-version"]);
  if (r.code !== 0) return undefined;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.output);
  if (m === null) return undefined;
  const first = Number(m[1]);
  return first === 1 ? Number(m[2]) : first;
}

/**
 * Makes sure Java ≥ 17 and Maven are there, installing them with apt-get when missing.
 * @throws StackError naming what is missing and how to install it.
 */
export async function ensureJavaAndMaven(needMaven: boolean): Promise<void> {
  let major = javaMajor();
  if (major === undefined) {
    await aptInstall(
      ["openjdk-17-jre-headless"],
      "Java is not installed (Kafka 4.x needs Java 17+)",
    );
    major = javaMajor();
  }
  if (major === undefined || major < 17) {
    throw new StackError(
      `Java ${major ?? "?"} found, Kafka 4.x needs Java 17 or newer`,
      "apt-get install -y openjdk-17-jre-headless, and put it first on PATH or set JAVA_HOME",
    );
  }
  if (needMaven && which("mvn") === undefined) {
    await aptInstall(
      ["maven"],
      "Maven (mvn) is not installed; it fetches the Kafka jars from Maven Central",
    );
  }
}

function pomHash(k: KafkaConfig): string {
  return createHash("sha256")
    .update(readFileSync(join(k.pomDir, "pom.xml")))
    .digest("hex");
}

/** Whether the jars for the committed pom.xml are already in tools/kafka/target/libs. */
export function jarsPresent(k: KafkaConfig): boolean {
  const stamp = join(k.libsDir, ".pom.sha256");
  return (
    existsSync(stamp) &&
    readFileSync(stamp, "utf8").trim() === pomHash(k) &&
    readdirSync(k.libsDir).some((f) => f.startsWith("kafka_2.13-"))
  );
}

/**
 * Fetches the broker's jars with Maven unless the cached ones match tools/kafka/pom.xml.
 * @throws StackError when Maven fails (offline, Maven Central unreachable).
 */
export async function fetchJars(k: KafkaConfig): Promise<"cached" | "fetched"> {
  if (jarsPresent(k)) return "cached";
  await ensureJavaAndMaven(true);
  rmSync(k.libsDir, { recursive: true, force: true });
  await runOrFail(
    "mvn",
    [
      "-q",
      "-B",
      "-f",
      join(k.pomDir, "pom.xml"),
      "dependency:copy-dependencies",
      `-DoutputDirectory=${k.libsDir}`,
    ],
    "check that Maven Central is reachable (mvn -B -f tools/kafka/pom.xml dependency:copy-dependencies) and retry",
  );
  writeFileSync(join(k.libsDir, ".pom.sha256"), `${pomHash(k)}\n`);
  return "fetched";
}

function pidFile(k: KafkaConfig): string {
  return join(k.dir, "kafka.pid");
}

/** The pid of our broker if it is running (the pid file names a live `kafka.Kafka` JVM). */
export function brokerPid(k: KafkaConfig): number | undefined {
  return kafkaPid(pidFile(k));
}

function writeIfChanged(file: string, text: string): boolean {
  if (existsSync(file) && readFileSync(file, "utf8") === text) return false;
  writeFileSync(file, text);
  return true;
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (what `random-uuid` prints).
 * Never one starting with "-": the storage tool reads it as an option (about 1 id in 64).
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

function jvmFiles(k: KafkaConfig): KafkaJvmFiles {
  const logsDir = join(k.dir, "..", "logs");
  return {
    dir: k.dir,
    properties: join(k.dir, "server.properties"),
    log4j2: join(k.dir, "log4j2.yaml"),
    logsDir,
    outFile: join(logsDir, "kafka.out"),
    logFile: k.logFile,
    classpath: `${k.libsDir}/*`,
  };
}

async function format(k: KafkaConfig, files: KafkaJvmFiles): Promise<void> {
  const idFile = join(k.dir, "cluster-id");
  if (!existsSync(idFile)) writeFileSync(idFile, `${newClusterId()}\n`);
  await formatStorage(files, k.dataDir, readFileSync(idFile, "utf8").trim(), "standalone");
}

export interface KafkaUp {
  action: "reused" | "started" | "restarted";
  pid: number;
}

/**
 * Starts the broker in the background (or reuses the running one). Does not wait for readiness:
 * call `waitKafkaReady` after doing other work while the JVM boots.
 * @throws StackError when Java is missing, a port is taken by another process or formatting fails.
 */
export async function startKafka(k: KafkaConfig): Promise<KafkaUp> {
  mkdirSync(k.dir, { recursive: true });
  mkdirSync(k.dataDir, { recursive: true });
  const files = jvmFiles(k);
  const changed = [
    writeIfChanged(files.properties, serverProperties(k)),
    writeIfChanged(files.log4j2, log4j2Yaml(k.logFile)),
  ].some(Boolean);
  let action: KafkaUp["action"] = "started";
  const running = brokerPid(k);
  if (running !== undefined && !changed) return { action: "reused", pid: running };
  if (running !== undefined) {
    await stopProcess(running, "the Kafka broker", 60_000);
    action = "restarted";
  }
  await ensureJavaAndMaven(false);
  for (const port of [k.port, k.controllerPort]) {
    if (!(await isPortFree(port))) {
      throw new StackError(
        `Kafka's port ${port} is taken by ${portOwner(port)}`,
        `stop that process ('ss -ltnp sport = :${port}' shows it), then run 'pnpm stack up' again`,
      );
    }
  }
  await format(k, files);
  const pid = spawnKafkaJvm(files, pidFile(k), 512);
  return { action, pid };
}

/**
 * Why the broker is not healthy, or undefined when it answers describeCluster and listTopics
 * (and, with `groups`, finds a group coordinator: the first lookup creates __consumer_offsets).
 */
export function checkKafka(k: KafkaConfig, groups = false): Promise<string | undefined> {
  return checkBrokers([brokerAddress(k)], { brokers: 1, groups });
}

/**
 * Polls the broker with kafkajs admin until it serves metadata and a group coordinator
 * (the first lookup creates __consumer_offsets), or fails when the JVM exits or time runs out.
 * @throws StackError with the tail of the broker's logs.
 */
export async function waitKafkaReady(
  k: KafkaConfig,
  pid: number,
  timeoutMs = 120_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  const outFile = join(k.dir, "..", "logs", "kafka.out");
  let problem: string | undefined = "not polled yet";
  while (Date.now() < until) {
    if (!isAlive(pid)) {
      throw new StackError(
        `the Kafka broker (pid ${pid}) exited while starting:\n    ${tail(outFile, 8)}\n    ${tail(k.logFile, 8)}`,
        `see ${k.logFile} and ${outFile}; if the storage is broken, run 'pnpm stack down' and delete ${k.dir}`,
      );
    }
    problem = await checkKafka(k, true);
    if (problem === undefined) return;
    await delay(200);
  }
  throw new StackError(
    `the Kafka broker did not become ready in ${timeoutMs / 1000}s (last: ${problem})`,
    `see ${k.logFile}`,
  );
}

/**
 * Stops our broker (SIGTERM, controlled shutdown; SIGKILL after 60 s).
 * @throws StackError when it does not exit.
 */
export async function stopKafka(k: KafkaConfig): Promise<"stopped" | "not running"> {
  const pid = brokerPid(k);
  if (pid === undefined) {
    rmSync(pidFile(k), { force: true });
    return "not running";
  }
  await stopProcess(pid, "the Kafka broker", 60_000);
  rmSync(pidFile(k), { force: true });
  return "stopped";
}
