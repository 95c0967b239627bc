import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import type { Logger } from "@georep/observability";

const CHANNEL = "+switch-master";

/**
 * Moves a Sentinel-configured client to the new master as soon as a Sentinel announces it.
 * Without this the client stays on the old master until Sentinel reconfigures it as a replica
 * and disconnects its clients: after a `SENTINEL FAILOVER`, about 10 s during which the old
 * master still takes writes that its resync then throws away.
 *
 * Not ioredis' `failoverDetector`: a +switch-master that arrives while the client is already
 * reconnecting (its master was killed) ends that client for good ("Connection is closed.").
 * Here a client that is not "ready" is left alone: its reconnect asks Sentinel anyway.
 */
export function followFailovers(options: {
  redis: Redis;
  sentinels: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  masterName: string;
  /** TLS and the Sentinels' login for the watchers (sentinelWatcherOptions). */
  watcherOptions: RedisOptions;
  logger: Logger;
  signal: AbortSignal;
}): void {
  const { redis, masterName, logger } = options;
  // Every Sentinel announces the same switch: act once per announcement.
  let last = "";
  const watchers = options.sentinels.map((s) => {
    const watcher = new Redis({ ...options.watcherOptions, host: s.host, port: s.port });
    watcher.on("error", (error: Error) => {
      logger.debug({ err: error, sentinel: s }, "counter cache: a Sentinel is unreachable");
    });
    watcher.subscribe(CHANNEL).catch((error: unknown) => {
      logger.warn({ err: error, sentinel: s }, "counter cache: cannot watch a Sentinel");
    });
    watcher.on("message", (channel: string, message: string) => {
      if (channel !== CHANNEL || message.split(" ")[0] !== masterName || message === last) return;
      last = message;
      if (redis.status !== "ready") return;
      logger.info({ switch: message }, "counter cache: Sentinel switched masters; reconnecting");
      redis.disconnect(true);
    });
    return watcher;
  });
  options.signal.addEventListener(
    "abort",
    () => {
      for (const w of watchers) w.disconnect();
    },
    { once: true },
  );
}
