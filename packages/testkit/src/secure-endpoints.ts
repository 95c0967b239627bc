// `.stack/secure/endpoints.json`, written by `pnpm stack secure up`: where the TLS-only services
// listen, which CA to trust, and which files hold the passwords (never the passwords themselves).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { regionIdSchema } from "@georep/contract";
import { stackDir } from "./repo-root.ts";
import { secureKafkaEndpointSchema } from "./secure-kafka.ts";

const port = z.number().int().min(1).max(65_535);
const host = z.string().min(1, "host must not be empty");
const file = z.string().startsWith("/", "must be an absolute path");

export const secureRegionEndpointSchema = z.object({
  id: regionIdSchema,
  /** The name the server certificate is checked against (verify-full). */
  host,
  port,
  database: z.string().min(1),
  admin: z.object({ user: z.string().min(1), passwordFile: file }),
});

export const secureEndpointsSchema = z.object({
  /** The throwaway CA every service's certificate is signed by (PEM). */
  caFile: file,
  regions: z
    .array(secureRegionEndpointSchema)
    .min(1)
    .refine((rs) => new Set(rs.map((r) => r.id)).size === rs.length, "region ids must be unique"),
  redis: z.object({
    /** The node that was master when the stack started (Sentinels know the current one). */
    host,
    port,
    username: z.string().min(1),
    passwordFile: file,
    sentinels: z.array(z.object({ host, port })).min(1),
    masterName: z.string().min(1),
    sentinelUsername: z.string().min(1),
    sentinelPasswordFile: file,
  }),
  /** The secure Kafka broker (tools/stack/kafka-secure.ts). */
  kafka: secureKafkaEndpointSchema.optional(),
});

export type SecureEndpoints = z.infer<typeof secureEndpointsSchema>;
export type SecureRegionEndpoint = z.infer<typeof secureRegionEndpointSchema>;

/** Where `pnpm stack secure up` writes the endpoints. */
export function secureEndpointsPath(root?: string): string {
  return join(stackDir(root), "secure", "endpoints.json");
}

/**
 * Parses secure endpoints from unknown JSON.
 * @throws Error naming each invalid field.
 */
export function parseSecureEndpoints(json: unknown, source = "secure endpoints"): SecureEndpoints {
  const result = secureEndpointsSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw new Error(
      `${source} is invalid (${issues}). Run \`pnpm stack secure up\` to rewrite it.`,
    );
  }
  return result.data;
}

/**
 * Reads and validates `.stack/secure/endpoints.json`.
 * @throws Error telling you to run `pnpm stack secure up` when it is missing or invalid.
 */
export function readSecureEndpoints(path: string = secureEndpointsPath()): SecureEndpoints {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new Error(
      `No readable secure stack endpoints at ${path}: run \`pnpm stack secure up\`.`,
      {
        cause,
      },
    );
  }
  return parseSecureEndpoints(json, path);
}

/**
 * A password from its file (trailing newline dropped).
 * @throws Error naming the file when it is missing or empty.
 */
export function readSecretFile(path: string): string {
  let value: string;
  try {
    value = readFileSync(path, "utf8").trim();
  } catch (cause) {
    throw new Error(`Cannot read the secret ${path}: run \`pnpm stack secure up\`.`, { cause });
  }
  if (value === "")
    throw new Error(`The secret ${path} is empty: delete it and run \`pnpm stack secure up\`.`);
  return value;
}

/**
 * A verify-full postgres:// URL: node-postgres checks the chain against `caFile` and the
 * certificate against the host name.
 */
export function verifyFullPgUrl(o: {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  caFile: string;
}): string {
  const auth = `${encodeURIComponent(o.user)}:${encodeURIComponent(o.password)}`;
  const query = `sslmode=verify-full&sslrootcert=${encodeURIComponent(o.caFile)}`;
  return `postgres://${auth}@${o.host}:${o.port}/${encodeURIComponent(o.database)}?${query}`;
}

/**
 * The admin URL of a region of the secure stack (or of `database` on it).
 * @throws Error listing the known regions when `regionId` is not one of them.
 */
export function securePgUrl(
  endpoints: SecureEndpoints,
  regionId: string,
  database?: string,
): string {
  const region = endpoints.regions.find((r) => r.id === regionId);
  if (region === undefined) {
    const known = endpoints.regions.map((r) => r.id).join(", ");
    throw new Error(`Unknown region '${regionId}': the secure stack has ${known}.`);
  }
  return verifyFullPgUrl({
    host: region.host,
    port: region.port,
    database: database ?? region.database,
    user: region.admin.user,
    password: readSecretFile(region.admin.passwordFile),
    caFile: endpoints.caFile,
  });
}
