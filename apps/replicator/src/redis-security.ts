// The read cache's Redis logins and TLS, read from the files and secret references the config
// names, and the ioredis options they become.
import type { RedisOptions } from "ioredis";
import type { z } from "zod";
import { readSecret } from "./secret.ts";
import type { Secret, SecretRef } from "./secret.ts";
import { readCaFile } from "./tls-config.ts";
import type { tlsSchema } from "./tls-config.ts";

export interface RedisSecurity {
  /** PEM text of the CA; TLS to Redis (and to the Sentinels) when set. */
  readonly ca: string | undefined;
  readonly username: string | undefined;
  readonly password: Secret | undefined;
  readonly sentinelUsername: string | undefined;
  readonly sentinelPassword: Secret | undefined;
}

interface RedisSecurityInput {
  readonly tls?: z.output<typeof tlsSchema> | undefined;
  readonly username?: string | undefined;
  readonly password?: SecretRef | undefined;
  readonly sentinelUsername?: string | undefined;
  readonly sentinelPassword?: SecretRef | undefined;
}

/** @throws ConfigError naming the field of a file or secret that cannot be read. */
export function resolveRedisSecurity(
  input: RedisSecurityInput,
  env: NodeJS.ProcessEnv = process.env,
): RedisSecurity | undefined {
  const { tls, username, password, sentinelUsername, sentinelPassword } = input;
  if (
    tls === undefined &&
    username === undefined &&
    password === undefined &&
    sentinelUsername === undefined &&
    sentinelPassword === undefined
  )
    return undefined;
  return {
    ca: tls === undefined ? undefined : readCaFile(tls.ca, "redis.tls.ca"),
    username,
    password: password === undefined ? undefined : readSecret(password, "redis.password", env),
    sentinelUsername,
    sentinelPassword:
      sentinelPassword === undefined
        ? undefined
        : readSecret(sentinelPassword, "redis.sentinelPassword", env),
  };
}

/** A client of the Sentinels themselves (the failover watchers): their TLS and login. */
export function sentinelWatcherOptions(security: RedisSecurity | undefined): RedisOptions {
  if (security === undefined) return {};
  return {
    ...(security.ca === undefined ? {} : { tls: { ca: security.ca } }),
    ...(security.sentinelUsername === undefined ? {} : { username: security.sentinelUsername }),
    ...(security.sentinelPassword === undefined
      ? {}
      : { password: security.sentinelPassword.reveal() }),
  };
}

/** The ioredis options of `security` (the secrets revealed here, at the client, only). */
export function redisSecurityOptions(
  security: RedisSecurity | undefined,
  sentinels: boolean,
): RedisOptions {
  if (security === undefined) return {};
  const tls = security.ca === undefined ? undefined : { ca: security.ca };
  return {
    ...(tls === undefined ? {} : { tls }),
    ...(tls !== undefined && sentinels ? { sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
    ...(security.username === undefined ? {} : { username: security.username }),
    ...(security.password === undefined ? {} : { password: security.password.reveal() }),
    ...(security.sentinelUsername === undefined
      ? {}
      : { sentinelUsername: security.sentinelUsername }),
    ...(security.sentinelPassword === undefined
      ? {}
      : { sentinelPassword: security.sentinelPassword.reveal() }),
  };
}
