// The secure Kafka broker: one KRaft node like the dev broker (kafka-node.ts: same jars, format,
// detached JVM, readiness poll) whose only client listener is SASL_SSL with SCRAM-SHA-512, with
// the StandardAuthorizer denying whatever no ACL allows.
//
//   certs + admin password (once) ──StorageTool format --add-scram admin──▶ formatted
//   formatted ──java kafka.Kafka──▶ starting ──admin (SASL_SSL) polls──▶ ready ──SIGTERM──▶ stopped
//
// The controller listener is SSL with client certificates required: the broker's own connection
// to its controller then authenticates as the certificate's subject (User:CN=kafka, a super
// user), and no other local process can reach the controller, which also serves admin requests.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { KafkaConfig as KafkaJsConfig } from "kafkajs";
import { parseSecureKafkaEndpoint } from "@georep/testkit";
import type { SecureKafkaEndpoint } from "@georep/testkit";
import { ensureCa, issueServerCert } from "./certs.ts";
import type { StackConfig } from "./config.ts";
import { StackError } from "./errors.ts";
import { fetchJars, log4j2Yaml, newClusterId, serverProperties } from "./kafka.ts";
import {
  checkBrokers,
  formatStorage,
  kafkaPid,
  selfContainedJvmFiles,
  spawnKafkaJvm,
  tail,
} from "./kafka-node.ts";
import { isAlive, stopProcess } from "./proc.ts";
import { isPortFree, portOwner } from "./ports.ts";
import { ensureSecret } from "./secrets.ts";

export const SECURE_KAFKA_PORT = 19392;
export const SECURE_KAFKA_CONTROLLER_PORT = 19393;
/** The super user every admin operation (ACLs, SCRAM users) runs as. */
export const SECURE_KAFKA_ADMIN = "admin";
/** The broker certificate's subject: the principal of the broker's own controller connection. */
const BROKER_PRINCIPAL = "User:CN=kafka";

export interface SecureKafkaLayout {
  /** As the dev broker's, with the secure broker's directory and ports. */
  readonly kafka: StackConfig["kafka"];
  /** The throwaway CA shared with the rest of the secure stack. */
  readonly caDir: string;
  readonly secretsDir: string;
  /** The address clients use: `localhost`, a name the broker's certificate holds. */
  readonly broker: string;
  /** Client properties for Kafka's own tools (kafka-configs) as the admin, mode 0600. */
  readonly adminConfigFile: string;
}

/** Where the secure broker lives: `.stack/secure/{kafka,ca,secrets}`. Pure. */
export function secureKafkaLayout(
  config: Pick<StackConfig, "stackDir" | "kafka">,
): SecureKafkaLayout {
  const secure = join(config.stackDir, "secure");
  const dir = join(secure, "kafka");
  return {
    kafka: {
      pomDir: config.kafka.pomDir,
      libsDir: config.kafka.libsDir,
      dir,
      dataDir: join(dir, "data"),
      logFile: join(dir, "kafka.log"),
      port: SECURE_KAFKA_PORT,
      controllerPort: SECURE_KAFKA_CONTROLLER_PORT,
    },
    caDir: join(secure, "ca"),
    secretsDir: join(secure, "secrets"),
    broker: `localhost:${SECURE_KAFKA_PORT}`,
    adminConfigFile: join(dir, "admin.properties"),
  };
}

/** The files the broker's TLS needs. */
export interface SecureKafkaTls {
  readonly caFile: string;
  /** The broker's private key followed by its certificate chain (Kafka's PEM keystore), 0600. */
  readonly keystoreFile: string;
}

/** `key=value` lines of `base` with `settings` replacing (or added after) its own. Pure. */
export function overrideProperties(
  base: string,
  settings: Readonly<Record<string, string>>,
): string {
  const left = new Map(Object.entries(settings));
  const lines = base.split("\n").map((line) => {
    const key = line.slice(0, line.indexOf("="));
    const value = line.includes("=") ? left.get(key) : undefined;
    if (value === undefined) return line;
    left.delete(key);
    return `${key}=${value}`;
  });
  while (lines.at(-1) === "") lines.pop();
  return [...lines, ...[...left].map(([k, v]) => `${k}=${v}`), ""].join("\n");
}

const scramLogin = (user: string, password: string): string =>
  `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`;

/**
 * The settings that make one node secure, laid over its plain server.properties: a SASL_SSL
 * client listener advertised as localhost (the name clients check the certificate for), an mTLS
 * controller listener, SCRAM-SHA-512 only, and the StandardAuthorizer. The same for the secure
 * stack's broker and a region's own cluster. Pure.
 */
export function secureNodeSettings(
  node: { readonly port: number; readonly controllerPort: number },
  tls: SecureKafkaTls,
  adminPassword: string,
): Record<string, string> {
  return {
    listeners: `SASL_SSL://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    "advertised.listeners": `SASL_SSL://localhost:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    "inter.broker.listener.name": "SASL_SSL",
    "listener.security.protocol.map": "CONTROLLER:SSL,SASL_SSL:SASL_SSL",
    "sasl.enabled.mechanisms": "SCRAM-SHA-512",
    "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
    "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": scramLogin(
      SECURE_KAFKA_ADMIN,
      adminPassword,
    ),
    "listener.name.controller.ssl.client.auth": "required",
    "ssl.keystore.type": "PEM",
    "ssl.keystore.location": tls.keystoreFile,
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": tls.caFile,
    "ssl.endpoint.identification.algorithm": "https",
    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "super.users": `User:${SECURE_KAFKA_ADMIN};${BROKER_PRINCIPAL}`,
    "allow.everyone.if.no.acl.found": "false",
  };
}

/**
 * server.properties of the secure broker: the dev broker's settings made secure
 * (secureNodeSettings). Holds the admin password (the broker's own SASL login), so it is written
 * 0600. Pure.
 */
export function secureServerProperties(
  layout: SecureKafkaLayout,
  tls: SecureKafkaTls,
  adminPassword: string,
): string {
  const k = layout.kafka;
  const base = serverProperties(k).replace(
    /^# Written by .*$/m,
    "# Written by `pnpm stack secure-kafka up` (tools/stack/kafka-secure.ts); changes here are overwritten.",
  );
  return overrideProperties(base, secureNodeSettings(k, tls, adminPassword));
}

/**
 * StorageTool format arguments that put the admin's SCRAM credential into the first metadata
 * (KIP-900), so the broker's own SASL login works before any ACL or user exists.
 */
export const adminScramFormatArgs = (adminPassword: string): string[] => [
  "--add-scram",
  `SCRAM-SHA-512=[name=${SECURE_KAFKA_ADMIN},password=${adminPassword}]`,
];

/** Client properties for Kafka's command-line tools as the admin. Pure. */
export function adminClientProperties(caFile: string, adminPassword: string): string {
  return [
    "security.protocol=SASL_SSL",
    "sasl.mechanism=SCRAM-SHA-512",
    `sasl.jaas.config=${scramLogin(SECURE_KAFKA_ADMIN, adminPassword)}`,
    "ssl.truststore.type=PEM",
    `ssl.truststore.location=${caFile}`,
    "",
  ].join("\n");
}

/** kafkajs options of the admin, for readiness polls. */
export function secureAdminClient(
  caFile: string,
  password: string,
): Pick<KafkaJsConfig, "ssl" | "sasl"> {
  return {
    ssl: { ca: [readFileSync(caFile, "utf8")], rejectUnauthorized: true },
    sasl: { mechanism: "scram-sha-512", username: SECURE_KAFKA_ADMIN, password },
  };
}

/** Writes `text` (mode 0600 when `secret`) unless the file already holds it; says whether it did. */
function writeIfChanged(file: string, text: string, secret = false): boolean {
  if (existsSync(file) && readFileSync(file, "utf8") === text) return false;
  writeFileSync(file, text, secret ? { mode: 0o600 } : {});
  return true;
}

/** What every secure broker of the stack shares: the CA, the "kafka" certificate, the admin. */
export interface SecureBrokerMaterials {
  readonly caFile: string;
  /** The broker's private key followed by its certificate chain: a PEM keystore's content. */
  readonly keystorePem: string;
  readonly admin: { readonly username: string; readonly passwordFile: string };
  readonly adminPassword: string;
}

/**
 * The secure stack's CA, broker certificate and admin password, made on first use and kept, so
 * that another secure broker (a region's own cluster) trusts and is trusted like the stack's.
 * @throws StackError when openssl fails.
 */
export async function secureBrokerMaterials(
  config: Pick<StackConfig, "stackDir" | "kafka">,
): Promise<SecureBrokerMaterials> {
  const layout = secureKafkaLayout(config);
  const ca = await ensureCa(layout.caDir);
  const cert = await issueServerCert(ca, "kafka", ["localhost", "127.0.0.1"]);
  const admin = ensureSecret(layout.secretsDir, "kafka-admin");
  return {
    caFile: ca.caFile,
    keystorePem: readFileSync(cert.keyFile, "utf8") + readFileSync(cert.chainFile, "utf8"),
    admin: { username: SECURE_KAFKA_ADMIN, passwordFile: admin.file },
    adminPassword: admin.value,
  };
}

/** Where a secure node keeps its PEM keystore. Pure. */
export const keystoreFileIn = (dir: string): string => join(dir, "keystore.pem");

/**
 * Writes the PEM keystore into `dir` (0600) unless it already holds it; the TLS files a node's
 * settings name, and whether the keystore changed.
 */
export function writeKeystore(
  dir: string,
  m: SecureBrokerMaterials,
): { readonly tls: SecureKafkaTls; readonly changed: boolean } {
  const keystoreFile = keystoreFileIn(dir);
  const changed = writeIfChanged(keystoreFile, m.keystorePem, true);
  return { tls: { caFile: m.caFile, keystoreFile }, changed };
}

/**
 * How a node of a plain or a secure (`secure` given) test cluster differs, in one place for the
 * region clusters (kafka-regions.ts) and the replicated cluster (kafka-cluster.ts). Pure.
 */
export const clusterSecurity = (secure: SecureBrokerMaterials | undefined) => ({
  /** The host clients use: a secure broker's certificate holds `localhost`. */
  host: secure === undefined ? "127.0.0.1" : "localhost",
  /** The node's plain server.properties, made secure with the keystore in `dir`. */
  properties: (
    plain: string,
    node: { readonly port: number; readonly controllerPort: number },
    dir: string,
  ): string =>
    secure === undefined
      ? plain
      : overrideProperties(
          plain,
          secureNodeSettings(
            node,
            { caFile: secure.caFile, keystoreFile: keystoreFileIn(dir) },
            secure.adminPassword,
          ),
        ),
  /** StorageTool format arguments (the admin's SCRAM credential). */
  formatArgs: secure === undefined ? [] : adminScramFormatArgs(secure.adminPassword),
  /** checkBrokers' `security` for the readiness poll, as the admin (reads the CA file). */
  readiness: () =>
    secure === undefined
      ? {}
      : { security: secureAdminClient(secure.caFile, secure.adminPassword) },
});

export interface SecureKafkaUp {
  readonly action: "reused" | "started" | "restarted";
  readonly pid: number;
  readonly broker: string;
  readonly caFile: string;
  readonly admin: { readonly username: string; readonly passwordFile: string };
  readonly adminConfigFile: string;
}

const pidFileOf = (layout: SecureKafkaLayout): string => join(layout.kafka.dir, "kafka.pid");

/** The pid of the running secure broker, if any. */
export function secureKafkaPid(layout: SecureKafkaLayout): number | undefined {
  return kafkaPid(pidFileOf(layout));
}

/**
 * Starts the secure broker (or reuses it when running with the same settings) and waits until
 * the admin, over SASL_SSL, gets metadata and a group coordinator. The CA, the broker's
 * certificate and the admin password are made on first use and kept.
 * @throws StackError when a port is taken, formatting fails or the broker is not ready in time.
 */
export async function startSecureKafka(
  config: Pick<StackConfig, "stackDir" | "kafka">,
  timeoutMs = 120_000,
): Promise<SecureKafkaUp> {
  const layout = secureKafkaLayout(config);
  const k = layout.kafka;
  mkdirSync(k.dataDir, { recursive: true, mode: 0o700 });
  await fetchJars(k);
  const m = await secureBrokerMaterials(config);
  const keystore = writeKeystore(k.dir, m);
  const tls = keystore.tls;
  const files = selfContainedJvmFiles(k);
  const changed = [
    keystore.changed,
    writeIfChanged(files.properties, secureServerProperties(layout, tls, m.adminPassword), true),
    writeIfChanged(files.log4j2, log4j2Yaml(k.logFile)),
  ].some(Boolean);
  writeIfChanged(layout.adminConfigFile, adminClientProperties(m.caFile, m.adminPassword), true);
  const up = (action: SecureKafkaUp["action"], pid: number): SecureKafkaUp => ({
    action,
    pid,
    broker: layout.broker,
    caFile: m.caFile,
    admin: m.admin,
    adminConfigFile: layout.adminConfigFile,
  });
  const pidFile = pidFileOf(layout);
  const running = kafkaPid(pidFile);
  if (running !== undefined && !changed) return up("reused", running);
  if (running !== undefined) await stopProcess(running, "the secure Kafka broker", 60_000);
  for (const port of [k.port, k.controllerPort])
    if (!(await isPortFree(port)))
      throw new StackError(
        `the secure Kafka broker's port ${port} is taken by ${portOwner(port)}`,
        `stop that process ('ss -ltnp sport = :${port}' shows it), then run 'pnpm stack secure-kafka up' again`,
      );
  const idFile = join(k.dir, "cluster-id");
  if (!existsSync(idFile)) writeFileSync(idFile, `${newClusterId()}\n`);
  await formatStorage(
    files,
    k.dataDir,
    readFileSync(idFile, "utf8").trim(),
    "standalone",
    adminScramFormatArgs(m.adminPassword),
  );
  const pid = spawnKafkaJvm(files, pidFile, 384);
  const security = secureAdminClient(m.caFile, m.adminPassword);
  const until = Date.now() + timeoutMs;
  let problem: string | undefined = "not polled yet";
  while (Date.now() < until) {
    if (!isAlive(pid))
      throw new StackError(
        `the secure Kafka broker (pid ${pid}) exited while starting:\n    ${tail(files.outFile, 8)}\n    ${tail(k.logFile, 8)}`,
        `see ${k.logFile}; if the storage is broken, run 'pnpm stack secure-kafka down' and delete ${k.dir}`,
      );
    problem = await checkBrokers([layout.broker], { brokers: 1, groups: true, security });
    if (problem === undefined) return up(running === undefined ? "started" : "restarted", pid);
    await delay(250);
  }
  throw new StackError(
    `the secure Kafka broker was not ready in ${timeoutMs / 1000} s (last: ${problem})`,
    `see ${k.logFile}`,
  );
}

/** Why the secure broker is not healthy (the admin's SASL_SSL login and metadata), or undefined. */
export async function checkSecureKafka(
  config: Pick<StackConfig, "stackDir" | "kafka">,
): Promise<string | undefined> {
  const layout = secureKafkaLayout(config);
  const caFile = join(layout.caDir, "ca.crt");
  const passwordFile = join(layout.secretsDir, "kafka-admin");
  if (!existsSync(caFile) || !existsSync(passwordFile)) return "never started";
  const security = secureAdminClient(caFile, readFileSync(passwordFile, "utf8").trim());
  return checkBrokers([layout.broker], { brokers: 1, groups: false, security });
}

/**
 * Stops the secure broker (SIGTERM, controlled shutdown; SIGKILL after 60 s). Keeps its data.
 * @throws StackError when it does not exit.
 */
export async function stopSecureKafka(
  config: Pick<StackConfig, "stackDir" | "kafka">,
): Promise<"stopped" | "not running"> {
  const layout = secureKafkaLayout(config);
  const pidFile = pidFileOf(layout);
  const pid = kafkaPid(pidFile);
  if (pid !== undefined) await stopProcess(pid, "the secure Kafka broker", 60_000);
  rmSync(pidFile, { force: true });
  return pid === undefined ? "not running" : "stopped";
}

/** The secure broker's part of the secure stack's endpoints (testkit secureKafkaEndpointSchema). */
export function secureKafkaEndpoint(k: SecureKafkaUp): SecureKafkaEndpoint {
  return parseSecureKafkaEndpoint({
    brokers: [k.broker],
    caFile: k.caFile,
    admin: k.admin,
    adminConfigFile: k.adminConfigFile,
  });
}

/**
 * The admin's endpoint of another secure cluster (a region's own, a replicated one) made from the
 * stack's materials, its tools' client properties written into `dir` (0600).
 */
export function secureEndpointOf(
  m: SecureBrokerMaterials,
  brokers: readonly string[],
  dir: string,
): SecureKafkaEndpoint {
  const adminConfigFile = join(dir, "admin.properties");
  writeFileSync(adminConfigFile, adminClientProperties(m.caFile, m.adminPassword), {
    mode: 0o600,
  });
  return parseSecureKafkaEndpoint({
    brokers: [...brokers],
    caFile: m.caFile,
    admin: m.admin,
    adminConfigFile,
  });
}

/** Where `pnpm stack secure-kafka up` writes the endpoint (until the secure stack's own file has it). */
export function secureKafkaEndpointsFile(config: Pick<StackConfig, "stackDir">): string {
  return join(config.stackDir, "secure", "kafka", "endpoints.json");
}
