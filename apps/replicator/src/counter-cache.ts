import type { Redis } from "ioredis";
import type { Pool } from "pg";
import type { StateLayout } from "@georep/schema";
import { defineCacheScripts, queueSetIfNewer } from "./cache-script.ts";
import { GENERATION_SQL, readKeysSql, readPageSql, toCachedRow } from "./cache-sql.ts";
import type { CachedRowRead } from "./cache-sql.ts";

/**
 * The read path services use for counter totals: one Redis hash per row
 * (`georep:<region>:<table>:<key json>`) holding every counter's total in that region (its own
 * writes and every other region's), and a notification on `georep:<region>:changes:<table>` for
 * the rows a write changed. Each write carries the version the totals were read at and lands
 * only over an older one (cache-script.ts), so two refreshes of one row may finish in any order.
 * PostgreSQL stays the source of truth: whatever Redis lost, a rebuild writes again.
 */
export interface CounterCache {
  /**
   * Rewrites these rows' totals from PostgreSQL. Returns how many rows changed in Redis.
   * @throws CounterCacheError (PostgreSQL or Redis failed).
   */
  refresh(table: string, keys: ReadonlyArray<Readonly<Record<string, string>>>): Promise<number>;
  /**
   * Rewrites every row of every table from PostgreSQL, page by page, then deletes rows cached
   * under an earlier generation. Stops between pages once `signal` aborts.
   * @throws CounterCacheError (PostgreSQL or Redis failed).
   */
  rebuild(signal: AbortSignal): Promise<RebuildReport>;
}

export interface RebuildReport {
  readonly rows: number;
  readonly changed: number;
  readonly dropped: number;
}

/** A cache read or write failed; `table` names what it was for. Always worth retrying later. */
export class CounterCacheError extends Error {
  override readonly name = "CounterCacheError";
  readonly retriable = true;
  constructor(
    message: string,
    readonly table: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** Region-scoped, so regions sharing one Redis (as on a laptop) never read each other's totals. */
export function cacheKey(
  region: string,
  table: string,
  key: Readonly<Record<string, string | undefined>>,
  keyOrder: readonly string[],
): string {
  return `georep:${region}:${table}:${JSON.stringify(keyOrder.map((k) => key[k] ?? null))}`;
}

export function changesChannel(region: string, table: string): string {
  return `georep:${region}:changes:${table}`;
}

/** Rows read per rebuild page (and SCAN count of its sweep). */
const PAGE_ROWS = 1_000;

export function createCounterCache(options: {
  region: string;
  redis: Redis;
  /** Its sessions should use CANONICAL_TEXT_STARTUP_OPTIONS: cache keys hold key text. */
  pool: Pool;
  layouts: readonly StateLayout[];
  ttlSeconds: number;
  pageRows?: number;
}): CounterCache {
  const { region, redis, pool, ttlSeconds } = options;
  const pageRows = options.pageRows ?? PAGE_ROWS;
  defineCacheScripts(redis);
  const byTable = new Map(options.layouts.map((l) => [`${l.spec.schema}.${l.spec.name}`, l]));

  const guard = async <T>(table: string, what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw new CounterCacheError(`counter cache: ${what} failed for ${table}`, table, {
        cause: error,
      });
    }
  };

  /** Writes rows whose versions are newer, then announces the ones that changed. */
  const write = async (
    table: string,
    layout: StateLayout,
    rows: readonly CachedRowRead[],
  ): Promise<number> => {
    if (rows.length === 0) return 0;
    const keyNames = layout.key.map((k) => k.name);
    const keyOf = (row: CachedRowRead): string =>
      cacheKey(
        region,
        table,
        Object.fromEntries(keyNames.map((k, i) => [k, row.key[i]])),
        keyNames,
      );
    const pipeline = redis.pipeline();
    for (const row of rows)
      queueSetIfNewer(pipeline, keyOf(row), row.version, ttlSeconds, row.totals ?? []);
    const results = (await pipeline.exec()) ?? [];
    const changed: string[][] = [];
    for (const [i, [error, written]] of results.entries()) {
      if (error !== null) throw error;
      const row = rows[i];
      if (written === 1 && row !== undefined) changed.push([...row.key]);
    }
    if (changed.length > 0)
      await redis.publish(changesChannel(region, table), JSON.stringify({ keys: changed }));
    return changed.length;
  };

  const sweep = async (table: string): Promise<number> => {
    const { rows } = await pool.query<{ gen: string }>(GENERATION_SQL);
    const generation = rows[0]?.gen ?? "1";
    let dropped = 0;
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(
        cursor,
        "MATCH",
        `georep:${region}:${table}:*`,
        "COUNT",
        pageRows,
      );
      cursor = next;
      if (keys.length > 0)
        dropped += await redis.georepDropOlderGenerations(keys.length, ...keys, generation);
    } while (cursor !== "0");
    return dropped;
  };

  return {
    async refresh(table, keys) {
      const layout = byTable.get(table);
      if (layout === undefined || keys.length === 0 || layout.counters.length === 0) return 0;
      const keyNames = layout.key.map((k) => k.name);
      const unique = new Map(keys.map((k) => [JSON.stringify(keyNames.map((n) => k[n])), k]));
      const { rows } = await guard(table, "reading totals", () =>
        pool.query(
          readKeysSql(layout),
          keyNames.map((n) => [...unique.values()].map((k) => k[n] ?? "")),
        ),
      );
      return guard(table, "writing totals", () =>
        write(
          table,
          layout,
          rows.map((r: Record<string, unknown>) => toCachedRow(layout, r)),
        ),
      );
    },
    async rebuild(signal) {
      let rows = 0;
      let changed = 0;
      let dropped = 0;
      for (const [table, layout] of byTable) {
        if (layout.counters.length === 0) continue;
        let after: readonly string[] | undefined;
        while (!signal.aborted) {
          const page = await guard(table, "reading a rebuild page", async () => {
            const params = after === undefined ? [pageRows] : [...after, pageRows];
            const result = await pool.query(readPageSql(layout, after !== undefined), params);
            return result.rows.map((r: Record<string, unknown>) => toCachedRow(layout, r));
          });
          const last = page.at(-1);
          if (last === undefined) break;
          rows += page.length;
          changed += await guard(table, "writing a rebuild page", () => write(table, layout, page));
          after = last.key;
          if (page.length < pageRows) break;
        }
        if (!signal.aborted)
          dropped += await guard(table, "dropping older generations", () => sweep(table));
      }
      return { rows, changed, dropped };
    },
  };
}
