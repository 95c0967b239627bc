// ioredis options for the secure stack's Redis: TLS checked against the stack's CA, ACL users.
import { readFileSync } from "node:fs";
import type { RedisOptions } from "ioredis";
import { readSecretFile } from "./secure-endpoints.ts";
import type { SecureEndpoints } from "./secure-endpoints.ts";

/**
 * Through the Sentinels, as the replicator runs its cache: TLS and a login on the Sentinels
 * (`sentinelTLS`, `sentinelUsername`/`sentinelPassword`) and on the master they name (`tls`,
 * `username`/`password`). Without `enableTLSForSentinelMode`, ioredis would reach the master in
 * plain text, which its TLS-only port refuses.
 * @throws Error when the CA or a password file cannot be read.
 */
export function secureSentinelOptions(endpoints: SecureEndpoints): RedisOptions {
  const { redis } = endpoints;
  const ca = readFileSync(endpoints.caFile, "utf8");
  return {
    sentinels: redis.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: redis.masterName,
    sentinelUsername: redis.sentinelUsername,
    sentinelPassword: readSecretFile(redis.sentinelPasswordFile),
    sentinelTLS: { ca },
    enableTLSForSentinelMode: true,
    tls: { ca },
    username: redis.username,
    password: readSecretFile(redis.passwordFile),
  };
}

/**
 * Straight to the node that was master when the stack started (tests of TLS and ACLs).
 * @throws Error when the CA or the password file cannot be read.
 */
export function secureRedisOptions(endpoints: SecureEndpoints): RedisOptions {
  const { redis } = endpoints;
  return {
    host: redis.host,
    port: redis.port,
    tls: { ca: readFileSync(endpoints.caFile, "utf8") },
    username: redis.username,
    password: readSecretFile(redis.passwordFile),
  };
}
