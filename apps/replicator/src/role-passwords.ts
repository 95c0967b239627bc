// `georep schema apply` gives the least-privilege roles their passwords from the config's secret
// references. PostgreSQL is sent a SCRAM-SHA-256 verifier computed here, never the password: it
// cannot reach the server's log (log_statement) or pg_stat_activity in clear.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import type pg from "pg";
import { ConfigError } from "./config-error.ts";
import type { PostgresConfig } from "./postgres-config.ts";

const ITERATIONS = 4096;

/** The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802, RFC 7677). */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, ITERATIONS, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/**
 * Sets each configured role's password (the roles exist: the installer creates them). Returns
 * the roles it set; none without `postgres.roles`.
 */
export async function setRolePasswords(
  client: pg.ClientBase,
  config: PostgresConfig,
): Promise<string[]> {
  if (config.roles === undefined) return [];
  const set: string[] = [];
  const { capture, merge, peer } = config.roles;
  const jobs = [
    ["capture", capture],
    ["merge", merge],
    ...(peer === undefined ? [] : [["peer", peer] as const]),
  ] as const;
  for (const [job, role] of jobs) {
    // Role names are checked by the config schema ([a-z_][a-z0-9_]*); ALTER ROLE takes no
    // parameters, and a verifier is base64 and '$', ':' only.
    try {
      await client.query(
        `ALTER ROLE ${role.user} LOGIN PASSWORD '${scramVerifier(role.password.reveal())}'`,
      );
    } catch (error) {
      throw new ConfigError(
        `postgres.roles.${job}.user '${role.user}': its password could not be set (${(error as Error).message}); drop 'user' to use the role the installer creates, or create that role with the same grants first`,
        `postgres.roles.${job}.user`,
        { cause: error },
      );
    }
    set.push(role.user);
  }
  return set;
}
