import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import type { Logger } from "@georep/observability";
import { followFailovers } from "./cache-failover.ts";
import type { ReplicatorConfig } from "./config.ts";
import { redisSecurityOptions, sentinelWatcherOptions } from "./redis-security.ts";
import type { RedisSecurity } from "./redis-security.ts";

export type CacheRedisConfig = NonNullable<ReplicatorConfig["redis"]>;

/**
 * The cache's Redis client: one Redis by URL, or the master a Sentinel group names. It connects
 * in the background and reconnects forever: the replicator never waits for, or fails with,
 * its cache (PostgreSQL is the source of truth).
 */
export function createCacheRedis(
  config: CacheRedisConfig,
  /** TLS and ACL logins (config.redisSecurity); undefined: plaintext, the default user. */
  security: RedisSecurity | undefined,
  logger: Logger,
  /** Stops watching Sentinel (the client itself is disconnected by its owner). */
  signal: AbortSignal,
): Redis {
  const sentinelMode = config.sentinels !== undefined;
  const options: RedisOptions = {
    ...redisSecurityOptions(security, sentinelMode),
    // A command waits through at most two reconnects; then the refresh fails (and is logged).
    maxRetriesPerRequest: 2,
    // A demoted master refuses writes with READONLY while the client still talks to it (a
    // partition hid the failover from it): reconnect, and ask Sentinel for the master again.
    reconnectOnError: (error) => (error.message.startsWith("READONLY") ? 2 : false),
  };
  const redis =
    config.sentinels === undefined
      ? new Redis(config.url ?? "", options)
      : new Redis({ ...options, sentinels: config.sentinels, name: config.masterName ?? "" });
  if (config.sentinels !== undefined)
    followFailovers({
      redis,
      sentinels: config.sentinels,
      masterName: config.masterName ?? "",
      watcherOptions: sentinelWatcherOptions(security),
      logger,
      signal,
    });
  // One warning per outage, not one per reconnect attempt.
  let healthy = true;
  redis.on("error", (error: Error) => {
    if (healthy) logger.warn({ err: error }, "counter cache: Redis unavailable; reconnecting");
    else logger.debug({ err: error }, "counter cache: Redis still unavailable");
    healthy = false;
  });
  redis.on("ready", () => {
    if (!healthy) logger.info("counter cache: Redis available again");
    healthy = true;
  });
  return redis;
}
