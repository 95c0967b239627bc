// The secure Kafka broker for tests (tools/stack/kafka-secure.ts): its endpoint, an idempotent
// start, admin client options and per-region principals (a SCRAM user plus its ACLs).
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { Kafka, logLevel } from "kafkajs";
import type { Admin, KafkaConfig } from "kafkajs";
import { createKafka, regionAcls, regionUser } from "@georep/kafka";
import type { KafkaSecurity, RegionAclInput } from "@georep/kafka";
import { silentLogger } from "@georep/observability";
import { runStack } from "./ensure-stack.ts";
import { findRepoRoot, stackDir } from "./repo-root.ts";

/** `.stack/secure/kafka/endpoints.json`, written by `pnpm stack secure-kafka up`. */
export const secureKafkaEndpointSchema = z.object({
  brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, "a broker is host:port")).min(1),
  /** The CA that signed the broker's certificate (PEM file). */
  caFile: z.string().min(1),
  /** The super user (SCRAM-SHA-512) and the file holding its password. */
  admin: z.object({ username: z.string().min(1), passwordFile: z.string().min(1) }),
  /** Client properties of the admin for Kafka's own tools (kafka-configs). */
  adminConfigFile: z.string().min(1),
});

export type SecureKafkaEndpoint = z.infer<typeof secureKafkaEndpointSchema>;

export function secureKafkaEndpointPath(root?: string): string {
  return join(stackDir(root), "secure", "kafka", "endpoints.json");
}

/**
 * Parses the endpoint from unknown JSON.
 * @throws Error naming each invalid field.
 */
export function parseSecureKafkaEndpoint(
  json: unknown,
  source = "secure kafka endpoint",
): SecureKafkaEndpoint {
  const result = secureKafkaEndpointSchema.safeParse(json);
  if (result.success) return result.data;
  const issues = result.error.issues
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  throw new Error(
    `${source} is invalid (${issues}). Run \`pnpm stack secure-kafka up\` to rewrite it.`,
  );
}

/** @throws Error telling you to run `pnpm stack secure-kafka up` when the file is missing or invalid. */
export function readSecureKafkaEndpoint(file = secureKafkaEndpointPath()): SecureKafkaEndpoint {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new Error(`No secure Kafka endpoint at ${file}: run \`pnpm stack secure-kafka up\`.`, {
      cause,
    });
  }
  return parseSecureKafkaEndpoint(json, file);
}

/** A login's TLS and SASL settings for `createKafka` (`security`). */
export function kafkaSecurity(
  endpoint: SecureKafkaEndpoint,
  login: { readonly username: string; readonly passwordFile: string },
): KafkaSecurity {
  return {
    ca: readFileSync(endpoint.caFile, "utf8"),
    sasl: {
      mechanism: "scram-sha-512",
      username: login.username,
      password: readFileSync(login.passwordFile, "utf8").trim(),
    },
  };
}

/** A silent kafkajs client of `endpoint` logged in as its admin (super user). */
export function adminKafka(
  endpoint: SecureKafkaEndpoint,
  clientId: string,
  overrides: Partial<KafkaConfig> = {},
): Kafka {
  const security = kafkaSecurity(endpoint, endpoint.admin);
  return new Kafka({
    clientId,
    brokers: endpoint.brokers,
    logLevel: logLevel.NOTHING,
    ssl: { ca: [security.ca], rejectUnauthorized: true },
    sasl: {
      mechanism: "scram-sha-512",
      username: endpoint.admin.username,
      password: security.sasl.password,
    },
    ...overrides,
  });
}

/** Whether `admin` connects and lists the topics; disconnects it either way. */
async function answers(admin: Admin): Promise<boolean> {
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Whether the admin gets the cluster's metadata over SASL_SSL now. */
export function secureKafkaAnswers(endpoint: SecureKafkaEndpoint): Promise<boolean> {
  return answers(
    adminKafka(endpoint, "georep-testkit-secure-probe", {
      connectionTimeout: 2_000,
      retry: { retries: 0 },
    }).admin(),
  );
}

/**
 * Whether `brokers` refuse a client with only `options` (none: plaintext; `ssl` alone: TLS without
 * a SASL login), as a secure broker must.
 */
export async function kafkaRefuses(
  brokers: readonly string[],
  options: Pick<KafkaConfig, "ssl" | "sasl"> = {},
): Promise<boolean> {
  const probe = new Kafka({
    clientId: "georep-testkit-refusal-probe",
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
    ...options,
  });
  return !(await answers(probe.admin()));
}

/** Runs a command from the repository root; its output is shown only when it fails. */
function runQuietly(
  root: string,
  cmd: string,
  args: readonly string[],
  what: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", (cause) => {
      reject(new Error(`could not run ${what}: ${cause.message}`, { cause }));
    });
    child.on("close", (code, signal) => {
      const output = Buffer.concat(chunks).toString("utf8");
      if (code === 0) resolve(output);
      else
        reject(
          new Error(
            `${what} failed (${signal ?? `exit ${code}`}):\n${output.trim().split("\n").slice(-15).join("\n")}`,
          ),
        );
    });
  });
}

let pending: Promise<SecureKafkaEndpoint> | undefined;

/**
 * The secure broker's endpoint, starting it with `pnpm stack secure-kafka up` unless it already
 * answers the admin over SASL_SSL (then nothing is spawned). Once per process.
 * @throws Error with the tail of the stack's output when starting it fails.
 */
export function ensureSecureKafka(): Promise<SecureKafkaEndpoint> {
  pending ??= (async () => {
    const root = findRepoRoot();
    const file = secureKafkaEndpointPath(root);
    try {
      const endpoint = readSecureKafkaEndpoint(file);
      if (await secureKafkaAnswers(endpoint)) return endpoint;
    } catch {
      // Not started yet (or stale): start it below.
    }
    await runStack(root, ["secure-kafka", "up"]);
    return readSecureKafkaEndpoint(file);
  })();
  pending.catch(() => {
    pending = undefined;
  });
  return pending;
}

export interface KafkaPrincipal {
  readonly username: string;
  readonly passwordFile: string;
  readonly security: KafkaSecurity;
}

/**
 * Makes (or updates) region `input.region`'s SCRAM-SHA-512 user `georep-<region>` with a random
 * password written to `.stack/secure/secrets/kafka-georep-<region>` (mode 0600), and creates
 * its ACLs (regionAcls) as the admin (grantKafkaPrincipal).
 * @throws Error with the tool's output when it fails; KafkaError when the ACLs are refused.
 */
export async function createKafkaPrincipal(
  endpoint: SecureKafkaEndpoint,
  input: RegionAclInput,
): Promise<KafkaPrincipal> {
  const username = regionUser(input.region);
  const passwordFile = join(stackDir(findRepoRoot()), "secure", "secrets", `kafka-${username}`);
  writeFileSync(passwordFile, `${randomPassword()}\n`, { mode: 0o600 });
  return grantKafkaPrincipal(endpoint, input, passwordFile);
}

/**
 * Gives region `input.region`'s user `georep-<region>` the password in `passwordFile` on the
 * cluster of `endpoint`, and its ACLs there (regionAcls), as the admin. With per-region clusters a
 * region's principal exists on every cluster with one password (docs/security.md). kafkajs cannot
 * create SCRAM users (no AlterUserScramCredentials), so Kafka's own kafka-configs
 * (kafka.admin.ConfigCommand) does.
 * @throws Error with the tool's output when it fails; KafkaError when the ACLs are refused.
 */
export async function grantKafkaPrincipal(
  endpoint: SecureKafkaEndpoint,
  input: RegionAclInput,
  passwordFile: string,
): Promise<KafkaPrincipal> {
  const root = findRepoRoot();
  const username = regionUser(input.region);
  const password = readFileSync(passwordFile, "utf8").trim();
  await runQuietly(
    root,
    "java",
    [
      "-cp",
      join(root, "tools", "kafka", "target", "libs", "*"),
      "kafka.admin.ConfigCommand",
      "--bootstrap-server",
      endpoint.brokers.join(","),
      "--command-config",
      endpoint.adminConfigFile,
      "--alter",
      "--entity-type",
      "users",
      "--entity-name",
      username,
      "--add-config",
      `SCRAM-SHA-512=[password=${password}]`,
    ],
    `kafka-configs --alter --entity-type users --entity-name ${username}`,
  );
  const admin = createKafka({
    brokers: endpoint.brokers,
    clientId: "georep-testkit-acls",
    logger: silentLogger(),
    security: kafkaSecurity(endpoint, endpoint.admin),
  });
  await admin.admin.createAcls(regionAcls(input));
  return { username, passwordFile, security: kafkaSecurity(endpoint, { username, passwordFile }) };
}

function randomPassword(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex");
}
