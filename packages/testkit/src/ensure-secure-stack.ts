// The secure stack for tests: checked in-process first (a TLS login to every service, Kafka's
// included, well under a second), started with `pnpm stack secure up` only when something does
// not answer.
import { existsSync } from "node:fs";
import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import pg from "pg";
import { runStack } from "./ensure-stack.ts";
import { findRepoRoot } from "./repo-root.ts";
import type { SecureEndpoints } from "./secure-endpoints.ts";
import { readSecureEndpoints, securePgUrl, secureEndpointsPath } from "./secure-endpoints.ts";
import { secureKafkaAnswers } from "./secure-kafka.ts";
import { secureRedisOptions, secureSentinelOptions } from "./secure-redis-options.ts";

let pending: Promise<SecureEndpoints> | undefined;

async function pgAnswers(endpoints: SecureEndpoints, regionId: string): Promise<boolean> {
  const client = new pg.Client({
    connectionString: securePgUrl(endpoints, regionId),
    connectionTimeoutMillis: 2_000,
  });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisAnswers(options: RedisOptions): Promise<boolean> {
  const client = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    sentinelRetryStrategy: () => null,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Whether every service of these endpoints takes a TLS login now. */
async function answers(file: string): Promise<SecureEndpoints | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    const endpoints = readSecureEndpoints(file);
    const checks = await Promise.all([
      ...endpoints.regions.map((r) => pgAnswers(endpoints, r.id)),
      redisAnswers(secureRedisOptions(endpoints)),
      redisAnswers(secureSentinelOptions(endpoints)),
      endpoints.kafka === undefined ? false : secureKafkaAnswers(endpoints.kafka),
    ]);
    return checks.every(Boolean) ? endpoints : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The secure stack's endpoints, starting it (`pnpm stack secure up`, idempotent) unless every
 * service already takes a TLS login. Once per process.
 * @throws Error with the tail of the stack's output when `secure up` fails.
 */
export function ensureSecureStack(): Promise<SecureEndpoints> {
  pending ??= (async () => {
    const root = findRepoRoot();
    const file = secureEndpointsPath(root);
    const running = await answers(file);
    if (running !== undefined) return running;
    await runStack(root, ["secure", "up"]);
    return readSecureEndpoints(file);
  })();
  pending.catch(() => {
    pending = undefined;
  });
  return pending;
}
