// The counter cache as the replicator runs it: refreshes after merges and after local rows are
// shipped, and full rebuilds from PostgreSQL.
//
//   unarmed ──capture's first shipped batch──▶ armed: rebuild
//   armed ──Redis "ready" again (reconnect, Sentinel failover) / a refresh failed──▶ rebuild
//   any ──signal aborts──▶ stopped (no more refreshes or rebuilds)
//
// Rebuilds wait for the first shipped batch: by then the capture settled the region's
// incarnation, so the rebuild reads the generation local writes will carry from then on.
import type { Redis } from "ioredis";
import pg from "pg";
import type { Pool } from "pg";
import type { RowsEnvelope } from "@georep/contract";
import type { Logger, Metrics } from "@georep/observability";
import { CANONICAL_TEXT_STARTUP_OPTIONS, pgConnection } from "@georep/schema";
import type { StateLayout } from "@georep/schema";
import { createRebuilds } from "./cache-rebuilds.ts";
import { mergedKeys, shippedKeys } from "./cache-shipped-keys.ts";
import type { KeysByTable, ShippedBatch } from "./cache-shipped-keys.ts";
import { createCounterCache } from "./counter-cache.ts";
import type { PgLogin } from "./postgres-config.ts";

export interface CacheService {
  /** For the merger's onApplied: refreshes the rows a committed merge batch touched. */
  readonly applied: (envelopes: readonly RowsEnvelope[]) => void;
  /** For the capture's onShipped: refreshes this region's own rows once Kafka has them. */
  readonly shipped: (batch: ShippedBatch) => void;
}

export function startCacheService(options: {
  region: string;
  redis: Redis;
  pool: Pool;
  layouts: readonly StateLayout[];
  ttlSeconds: number;
  /** Whether this process rebuilds (the region's full replicator; merge workers only refresh). */
  rebuilds: boolean;
  signal: AbortSignal;
  logger: Logger;
  metrics: Metrics;
  retryMs?: number;
}): CacheService {
  const { redis, pool, logger: log, signal } = options;
  const cache = createCounterCache(options);
  const refreshFailures = options.metrics.counter(
    "georep_cache_refresh_failures_total",
    "Counter cache refreshes that failed (each asks for a rebuild)",
  );
  const rebuildsDone = options.metrics.counter(
    "georep_cache_rebuilds_total",
    "Full counter cache rebuilds from PostgreSQL that finished",
  );
  const rebuilds = createRebuilds({
    logger: log,
    retryMs: options.retryMs ?? 5_000,
    run: async (stop) => {
      const started = performance.now();
      const report = await cache.rebuild(stop);
      if (stop.aborted) return;
      rebuildsDone.inc();
      log.info(
        { ...report, seconds: (performance.now() - started) / 1000 },
        "counter cache rebuilt from PostgreSQL",
      );
    },
  });
  let armed = false;
  const rebuild = (reason: string): void => {
    if (armed && options.rebuilds && !signal.aborted) rebuilds.request(reason);
  };
  pool.on("error", (error) => {
    log.warn({ err: error }, "counter cache: an idle PostgreSQL connection failed");
  });
  // Every reconnect may be to another master (a Sentinel failover) that lacks the last writes,
  // and refreshes failed while Redis was away: write everything again.
  redis.on("ready", () => {
    rebuild("redis ready");
  });
  signal.addEventListener("abort", () => void rebuilds.stop(), { once: true });

  // One warning per run of failures (Redis away fails every refresh), then debug.
  let failing = false;
  const failed = (error: unknown, table: string): void => {
    if (signal.aborted) return;
    refreshFailures.inc();
    const message =
      "counter cache refresh failed; PostgreSQL stays correct, a rebuild writes the cache again";
    if (failing) log.debug({ err: error, table }, message);
    else log.warn({ err: error, table }, message);
    failing = true;
    rebuild("a refresh failed");
  };
  // Keys to refresh, coalesced: one refresh runs at a time and takes every key marked meanwhile,
  // so a burst of batches costs a few reads, not one queued read each (a refresh reads the
  // current state, and versions keep an older read from winning).
  const dirty = new Map<string, Map<string, Readonly<Record<string, string>>>>();
  let draining: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    while (dirty.size > 0 && !signal.aborted) {
      const taken = [...dirty];
      dirty.clear();
      for (const [table, keys] of taken) {
        try {
          await cache.refresh(table, [...keys.values()]);
          failing = false;
        } catch (error) {
          failed(error, table);
        }
      }
    }
  };
  const kick = (): void => {
    if (draining !== undefined || dirty.size === 0 || signal.aborted) return;
    draining = drain().finally(() => {
      draining = undefined;
      kick();
    });
  };
  const refresh = (byTable: KeysByTable): void => {
    if (signal.aborted) return;
    for (const [table, keys] of byTable) {
      let marked = dirty.get(table);
      if (marked === undefined) {
        marked = new Map<string, Readonly<Record<string, string>>>();
        dirty.set(table, marked);
      }
      for (const key of keys) marked.set(JSON.stringify(key), key);
    }
    kick();
  };
  return {
    applied: (envelopes) => {
      refresh(mergedKeys(envelopes));
    },
    shipped: (batch) => {
      if (!armed) {
        armed = true;
        rebuild("start");
      }
      try {
        refresh(shippedKeys(batch));
      } catch (error) {
        log.error({ err: error }, "counter cache: a shipped batch could not be read; rebuilding");
        rebuild("unreadable shipped batch");
      }
    },
  };
}

/**
 * The cache's PostgreSQL pool: canonical text settings, so a cache key's text (a timestamptz
 * key's, say) is the same whatever the server's defaults.
 */
export function createCachePool(login: PgLogin): pg.Pool {
  return new pg.Pool({
    ...pgConnection(login.url, login.password),
    max: 2,
    options: CANONICAL_TEXT_STARTUP_OPTIONS,
  });
}
