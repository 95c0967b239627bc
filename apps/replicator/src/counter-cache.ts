import type { Redis } from "ioredis";
import type { Pool } from "pg";
import type { Logger } from "@georep/observability";
import { quoteIdent } from "@georep/schema";
import type { StateLayout } from "@georep/schema";

/**
 * The read path services use for merged counter totals: one Redis hash per row
 * (`georep:<region>:<table>:<key json>`), rewritten from PostgreSQL after every merge that touches the
 * row, and a notification on `georep:changes:<table>`. Redis is a cache: PostgreSQL stays the
 * source of truth, so a lost Redis write is repaired by the next merge of that key.
 */
export interface CounterCache {
  refresh(table: string, keys: ReadonlyArray<Readonly<Record<string, string>>>): Promise<number>;
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

export function createCounterCache(options: {
  region: string;
  redis: Redis;
  pool: Pool;
  layouts: readonly StateLayout[];
  ttlSeconds: number;
  logger: Logger;
}): CounterCache {
  const byTable = new Map(options.layouts.map((l) => [`${l.spec.schema}.${l.spec.name}`, l]));
  return {
    async refresh(table, keys) {
      const layout = byTable.get(table);
      if (layout === undefined || keys.length === 0 || layout.counters.length === 0) return 0;
      const keyNames = layout.key.map((k) => k.name);
      const keyCols = keyNames.map((k) => quoteIdent(k));
      // Compare typed, not as text: a timestamptz's text form depends on the session's TimeZone.
      const matches = layout.key
        .map((k, i) => `t.${quoteIdent(k.name)} = k.c${i}::${k.type}`)
        .join(" AND ");
      const arrays = keyNames.map((_, i) => `$${i + 1}::text[]`).join(", ");
      const aliases = keyNames.map((_, i) => `c${i}`).join(", ");
      const { rows } = await options.pool.query<Record<string, string>>(
        `SELECT ${keyCols.map((c) => `t.${c}::text AS ${c}`).join(", ")}, ${layout.counters.map((c) => `t.${quoteIdent(c.column)}::text AS ${quoteIdent(c.column)}`).join(", ")}
         FROM unnest(${arrays}) AS k(${aliases}) JOIN ${layout.userTable} t ON ${matches}`,
        keyNames.map((k) => keys.map((key) => key[k] ?? "")),
      );
      if (rows.length === 0) return 0;
      const pipeline = options.redis.multi();
      for (const row of rows) {
        const name = cacheKey(options.region, table, row, keyNames);
        pipeline.hset(
          name,
          Object.fromEntries(layout.counters.map((c) => [c.column, row[c.column] ?? "0"])),
        );
        pipeline.expire(name, options.ttlSeconds);
      }
      pipeline.publish(
        changesChannel(options.region, table),
        JSON.stringify({ keys: rows.map((r) => keyNames.map((k) => r[k])) }),
      );
      await pipeline.exec();
      return rows.length;
    },
  };
}
