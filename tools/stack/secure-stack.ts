// `pnpm stack secure up | down | status`: the secure stack beside the plain one. TLS on every
// link, passwords from files: PostgreSQL per region (verify-full, SCRAM, no plaintext TCP),
// Redis master + replica + three Sentinels (TLS only, ACL users), Kafka (SASL_SSL only, ACLs:
// kafka-secure.ts), all under .stack/secure/.
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import type { SecureEndpoints, SecureKafkaEndpoint } from "@georep/testkit";
import { parseSecureEndpoints } from "@georep/testkit";
import { ensureCa, issueServerCert } from "./certs.ts";
import type { CertificateAuthority } from "./certs.ts";
import { stackConfig } from "./config.ts";
import { writeEndpoints } from "./endpoints.ts";
import { StackError } from "./errors.ts";
import {
  SECURE_KAFKA_CONTROLLER_PORT,
  SECURE_KAFKA_PORT,
  checkSecureKafka,
  secureKafkaEndpoint,
  startSecureKafka,
  stopSecureKafka,
} from "./kafka-secure.ts";
import { out, seconds, step } from "./log.ts";
import { downRegion, ensurePostgresBinaries, postgresUser, upRegion } from "./postgres.ts";
import type { ClusterProfile } from "./postgres.ts";
import { waitPortFree, portOwner } from "./ports.ts";
import { ensureSecret } from "./secrets.ts";
import { secretNames } from "./secure-config.ts";
import type { SecureConfig } from "./secure-config.ts";
import { secureProfile } from "./secure-postgres.ts";
import {
  attachSecureRedis,
  checkSecureRedis,
  downSecureRedis,
  secureGroupSecurity,
  upSecureRedis,
} from "./secure-redis.ts";
import type { GroupSecurity, SentinelGroup } from "./sentinel.ts";

/** Every name a client may use for our services: certificates are checked against it. */
const SERVER_HOSTS = ["localhost", "127.0.0.1", "::1"];

interface Prepared {
  readonly ca: CertificateAuthority;
  readonly profile: ClusterProfile;
  readonly redis: GroupSecurity;
  readonly secretFile: (name: keyof typeof secretNames) => string;
}

/** The CA, certificates and passwords (each made once, then reused), and what uses them. */
async function prepare(config: SecureConfig): Promise<Prepared> {
  const ca = await ensureCa(config.caDir);
  const pgCert = await issueServerCert(ca, "postgres", SERVER_HOSTS);
  const redisCert = await issueServerCert(ca, "redis", SERVER_HOSTS);
  const secret = (name: keyof typeof secretNames) =>
    ensureSecret(config.secretsDir, secretNames[name]);
  return {
    ca,
    profile: secureProfile({
      cert: pgCert,
      caFile: ca.caFile,
      socketDir: config.pgSocketDir,
      adminPassword: secret("pgAdmin").value,
    }),
    redis: secureGroupSecurity(redisCert, ca.caFile, {
      georep: secret("redisGeorep").value,
      replica: secret("redisReplica").value,
      sentinel: secret("redisSentinel").value,
      sentinelGeorep: secret("sentinelGeorep").value,
      sentinelPeer: secret("sentinelPeer").value,
    }),
    secretFile: (name) => secret(name).file,
  };
}

/** The socket directory belongs to `postgres`, 0700: peer authentication is the only gate. */
function ensureSocketDir(dir: string): void {
  // Its parent holds the data directories: traversable (a recursive 0700 mkdir would close it).
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
  chmodSync(dirname(dir), 0o755);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const user = postgresUser();
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
}

/** The endpoints of a secure stack layout, validated against the testkit's schema. Pure. */
export function buildSecureEndpoints(
  config: SecureConfig,
  caFile: string,
  secretFile: Prepared["secretFile"],
  kafka?: SecureKafkaEndpoint,
): SecureEndpoints {
  return parseSecureEndpoints({
    ...(kafka === undefined ? {} : { kafka }),
    caFile,
    regions: config.regions.map((r) => ({
      id: r.id,
      host: "localhost",
      port: r.port,
      database: "postgres",
      admin: { user: "postgres", passwordFile: secretFile("pgAdmin") },
    })),
    redis: {
      host: "localhost",
      port: config.redis.nodes[0],
      username: "georep",
      passwordFile: secretFile("redisGeorep"),
      sentinels: config.redis.sentinels.map((port) => ({ host: "localhost", port })),
      masterName: config.redis.masterName,
      sentinelUsername: "georep",
      sentinelPasswordFile: secretFile("sentinelGeorep"),
    },
  });
}

/**
 * Brings every secure part up (reusing running ones) and writes .stack/secure/endpoints.json.
 * @throws StackError from the first part that fails.
 */
export async function secureUp(config: SecureConfig): Promise<void> {
  const started = Date.now();
  await ensurePostgresBinaries();
  // Traversable by the `postgres` user (its clusters live below); what is private is 0700 inside.
  mkdirSync(config.dir, { recursive: true, mode: 0o755 });
  chmodSync(config.dir, 0o755);
  const p = await prepare(config);
  step(`certificates and passwords: ${config.caDir}, ${config.secretsDir}`);
  ensureSocketDir(config.pgSocketDir);
  for (const region of config.regions) {
    const t = Date.now();
    const { action } = await upRegion(region, p.profile);
    step(`postgres ${region.id}: ${action} on port ${region.port}, TLS only (${seconds(t)})`);
  }
  const t = Date.now();
  const redis = await upSecureRedis(config, p.redis);
  step(`redis + sentinels: ${redis.action} (${seconds(t)})`);
  const kt = Date.now();
  const kafka = await startSecureKafka(stackConfig(config.root, process.env));
  step(`kafka: ${kafka.action} on ${kafka.broker}, SASL_SSL only (${seconds(kt)})`);

  const kafkaEndpoint = secureKafkaEndpoint(kafka);
  const endpoints = buildSecureEndpoints(config, p.ca.caFile, p.secretFile, kafkaEndpoint);
  writeEndpoints(config.endpointsFile, endpoints);
  out(`secure stack up in ${seconds(started)}`);
  for (const r of endpoints.regions)
    out(`  postgres ${r.id.padEnd(10)} ${r.host}:${r.port} (TLS, verify-full; user postgres)`);
  out(`  redis             ${endpoints.redis.host}:${endpoints.redis.port} (TLS; user georep)`);
  out(
    `  sentinels         ${endpoints.redis.sentinels.map((s) => `${s.host}:${s.port}`).join(",")} (TLS; master '${endpoints.redis.masterName}')`,
  );
  out(
    `  kafka             ${kafka.broker} (SASL_SSL, SCRAM-SHA-512; user ${kafka.admin.username})`,
  );
  out(`CA:        ${p.ca.caFile}`);
  out(`passwords: ${config.secretsDir}/`);
  out(`endpoints: ${config.endpointsFile}`);
}

/**
 * The running secure Redis group, for chaos tests that fail it over (attachSecureRedis): the
 * certificates and passwords it was started with, nothing started.
 * @throws StackError when the secure stack was never brought up (no CA).
 */
export async function secureRedisGroup(config: SecureConfig): Promise<SentinelGroup> {
  if (!existsSync(config.caDir))
    throw new StackError("the secure stack was never started", "run `pnpm stack secure up`");
  return attachSecureRedis(config, (await prepare(config)).redis);
}

/** Checks every secure part; returns whether all are healthy. */
export async function secureStatus(config: SecureConfig): Promise<boolean> {
  if (!existsSync(config.caDir)) {
    out("DOWN  secure stack       never started (no CA): run `pnpm stack secure up`");
    return false;
  }
  const p = await prepare(config);
  const parts: Array<{ part: string; problem: string | undefined; detail: string }> = [];
  for (const region of config.regions)
    parts.push({
      part: `postgres ${region.id}`,
      problem: await p.profile.check(region),
      detail: `localhost:${region.port} (TLS)`,
    });
  parts.push({
    part: "redis + sentinels",
    problem: await checkSecureRedis(config, p.redis),
    detail: `${config.redis.nodes.join(",")} + ${config.redis.sentinels.join(",")} (TLS)`,
  });
  parts.push({
    part: "kafka",
    problem: await checkSecureKafka(stackConfig(config.root, process.env)),
    detail: `localhost:${SECURE_KAFKA_PORT} (SASL_SSL)`,
  });
  for (const x of parts)
    out(
      `${x.problem === undefined ? "ok  " : "DOWN"}  ${x.part.padEnd(18)} ${x.problem ?? x.detail}`,
    );
  const all = parts.every((x) => x.problem === undefined);
  out(all ? "all healthy" : "not healthy: run `pnpm stack secure up` (logs in .stack/secure/)");
  return all;
}

/**
 * Stops every secure part and checks that their ports are free. Certificates, passwords and
 * data stay (delete .stack/secure for a clean start).
 * @throws StackError naming a port still bound.
 */
export async function secureDown(config: SecureConfig): Promise<void> {
  for (const region of config.regions) step(`postgres ${region.id}: ${await downRegion(region)}`);
  step(`redis + sentinels: ${await downSecureRedis(config)} processes stopped`);
  step(`kafka: ${await stopSecureKafka(stackConfig(config.root, process.env))}`);
  const ports = [
    SECURE_KAFKA_PORT,
    SECURE_KAFKA_CONTROLLER_PORT,
    ...config.regions.map((r) => r.port),
    ...config.redis.nodes,
    ...config.redis.sentinels,
  ];
  const busy: number[] = [];
  for (const port of ports) if (!(await waitPortFree(port, 10_000))) busy.push(port);
  if (busy.length > 0)
    throw new StackError(
      `ports still bound after secure down: ${busy.map((x) => `${x} by ${portOwner(x)}`).join(", ")}`,
      "stop those processes ('ss -ltnp' shows them)",
    );
  if (existsSync(config.endpointsFile)) rmSync(config.endpointsFile);
  out(`secure stack down; ports ${ports.join(", ")} are free`);
  out(`certificates, passwords and data kept in ${dirname(config.endpointsFile)}`);
}
