import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CANONICAL_TEXT_STARTUP_OPTIONS,
  installSchema,
  parseInstallConfig,
  parseTableSpec,
  stateLayout,
} from "@georep/schema";
import { createTestDatabase, readEndpoints, uniqueName } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { VERSION_FIELD } from "../src/cache-script.ts";
import { cacheKey, createCounterCache } from "../src/counter-cache.ts";
import type { CounterCache } from "../src/counter-cache.ts";

// The cache against a real PostgreSQL (capture trigger, state table) and a real Redis: versions
// order writes, deletes and decrements are cached, rebuilds page through everything.
const spec = parseTableSpec({
  schema: "public",
  name: "tallies",
  key: [
    { name: "id", type: "bigint" },
    { name: "at", type: "timestamptz" },
  ],
  columns: [
    { name: "hits", type: "bigint", crdt: "gcounter" },
    { name: "balance", type: "bigint", crdt: "pncounter" },
    { name: "label", type: "text", crdt: "lww" },
    { name: "home", type: "text", crdt: "lww" },
  ],
  home: { kind: "column", column: "home" },
});
const layout = stateLayout(spec);
const TABLE = "public.tallies";
const AT = "2026-11-22 10:00:00+00";

describe("counter cache (PostgreSQL state -> Redis, versioned)", () => {
  const tag = uniqueName("cc").replaceAll("_", "").slice(-8);
  const region = `cc${tag}-a`;
  let db: TestDatabase;
  let pool: pg.Pool;
  let redis: Redis;
  let cache: CounterCache;

  beforeAll(async () => {
    db = await createTestDatabase("us-east", "cache");
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await installSchema(
      client,
      parseInstallConfig({
        region,
        regions: [{ id: region }, { id: `cc${tag}-b` }],
        tables: [spec],
      }),
    );
    await client.end();
    pool = new pg.Pool({
      connectionString: db.url,
      max: 4,
      options: CANONICAL_TEXT_STARTUP_OPTIONS,
    });
    redis = new Redis(readEndpoints().redis.url);
    cache = createCounterCache({ region, redis, pool, layouts: [layout], ttlSeconds: 600 });
  });
  afterAll(async () => {
    const keys = await redis.keys(`georep:${region}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await pool.end();
    await db.drop();
  });

  const keyOf = (id: number): string =>
    cacheKey(region, TABLE, { id: String(id), at: AT }, ["id", "at"]);
  const cached = (id: number): Promise<Record<string, string>> => redis.hgetall(keyOf(id));
  const refresh = (...ids: number[]): Promise<number> =>
    cache.refresh(
      TABLE,
      ids.map((id) => ({ id: String(id), at: AT })),
    );

  it("caches local writes, decrements and deletes, each under a newer version", async () => {
    await pool.query("INSERT INTO tallies (id, at, hits, balance) VALUES (1, $1, 5, 10)", [AT]);
    expect(await refresh(1)).toBe(1);
    const first = await cached(1);
    expect(first).toMatchObject({ hits: "5", balance: "10" });

    await pool.query("UPDATE tallies SET balance = balance - 4 WHERE id = 1");
    expect(await refresh(1)).toBe(1);
    const second = await cached(1);
    expect(second).toMatchObject({ hits: "5", balance: "6" });
    expect(second[VERSION_FIELD]).not.toBe(first[VERSION_FIELD]);

    // Same state, same version: nothing to write.
    expect(await refresh(1, 1)).toBe(0);

    await pool.query("DELETE FROM tallies WHERE id = 1");
    expect(await refresh(1)).toBe(1);
    expect(Object.keys(await cached(1))).toEqual([VERSION_FIELD]);

    await pool.query("INSERT INTO tallies (id, at, hits) VALUES (1, $1, 2)", [AT]);
    await refresh(1);
    expect(await cached(1)).toMatchObject({ hits: "2", balance: "0" });
  });

  it("caches a key inserted again after tombstone collection removed its state", async () => {
    // Three shares, deleted, cached dead; collection then removes every state row, and the key is
    // inserted again: one share, a later birth. Before, its version sum was below the dead one's
    // and the cache kept showing the key deleted until the TTL.
    const state = layout.stateTable;
    await pool.query("INSERT INTO tallies (id, at, hits) VALUES (3, $1, 4)", [AT]);
    for (const origin of [`cc${tag}-b`, `cc${tag}-c`])
      await pool.query(
        `INSERT INTO ${state} SELECT (jsonb_populate_record(NULL::${state}, to_jsonb(s) || jsonb_build_object('origin', $1::text))).* FROM ${state} s WHERE id = 3 AND origin = $2`,
        [origin, region],
      );
    await pool.query("DELETE FROM tallies WHERE id = 3");
    await refresh(3);
    expect(Object.keys(await cached(3))).toEqual([VERSION_FIELD]);
    await pool.query(`DELETE FROM ${state} WHERE id = 3`); // collected
    await pool.query("INSERT INTO tallies (id, at, hits) VALUES (3, $1, 7)", [AT]);
    expect(await refresh(3)).toBe(1);
    expect(await cached(3)).toMatchObject({ hits: "7" });
  });

  it("never lets an older read overwrite a newer one", async () => {
    await pool.query("INSERT INTO tallies (id, at, hits, balance) VALUES (2, $1, 1, 1)", [AT]);
    await refresh(2);
    const older = await cached(2);
    await pool.query("UPDATE tallies SET hits = hits + 1, balance = balance - 3 WHERE id = 2");
    await refresh(2);
    const newer = await cached(2);
    // The older read lands last, as a slow refresh would.
    const olderFields = Object.entries(older).filter(([f]) => f !== VERSION_FIELD);
    const written = await redis.georepSetIfNewer(
      keyOf(2),
      older[VERSION_FIELD] ?? "",
      600,
      ...olderFields.flat(),
    );
    expect(written).toBe(0);
    expect(await cached(2)).toEqual(newer);
    expect(newer).toMatchObject({ hits: "2", balance: "-2" });
  });

  it("orders versions by generation first, then by sum as decimal text", async () => {
    const key = keyOf(900);
    expect(await redis.georepSetIfNewer(key, "1:99999999999999999999", 60, "hits", "1")).toBe(1);
    expect(await redis.georepSetIfNewer(key, "1:100000000000000000000", 60, "hits", "2")).toBe(1);
    expect(await redis.georepSetIfNewer(key, "1:99999999999999999999", 60, "hits", "3")).toBe(0);
    expect(await redis.georepSetIfNewer(key, "2:5", 60, "hits", "4")).toBe(1);
    expect(await redis.georepSetIfNewer(key, "1:999999999999999999999", 60, "hits", "5")).toBe(0);
    expect(await redis.hget(key, "hits")).toBe("4");
    await expect(redis.georepSetIfNewer(key, "nonsense", 60)).rejects.toThrow(/bad version/);
    await redis.del(key);
  });

  it("ends equal to PostgreSQL when refreshes race with writes", async () => {
    await pool.query(
      "INSERT INTO tallies (id, at, hits, balance) SELECT g, $1, 0, 0 FROM generate_series(10, 14) g",
      [AT],
    );
    const ids = [10, 11, 12, 13, 14];
    const refreshes: Array<Promise<number>> = [];
    for (let i = 0; i < 60; i++) {
      const id = ids[i % ids.length] ?? 10;
      await pool.query(
        `UPDATE tallies SET hits = hits + 1, balance = balance ${i % 3 === 0 ? "-" : "+"} 2 WHERE id = $1`,
        [id],
      );
      refreshes.push(refresh(id), refresh(...ids));
    }
    await Promise.all(refreshes);
    await expectCacheEqualsPostgres(ids);
  });

  it("rebuilds every row page by page and drops rows of an earlier generation", async () => {
    const paged = createCounterCache({
      region,
      redis,
      pool,
      layouts: [layout],
      ttlSeconds: 600,
      pageRows: 2,
    });
    const keys = await redis.keys(`georep:${region}:${TABLE}:*`);
    await redis.del(...keys);
    // A row cached before the database lost history: under generation 0, never in PostgreSQL.
    await redis.georepSetIfNewer(keyOf(777), "0:1", 600, "hits", "9");
    // A row PostgreSQL holds, cached with a higher sum under generation 0: the rebuild's wins.
    await redis.georepSetIfNewer(keyOf(10), "0:99999999999999999999999", 600, "hits", "999");
    const report = await paged.rebuild(new AbortController().signal);
    const { rows } = await pool.query<{ id: string }>(
      'SELECT id::text AS id FROM georep."state__public__tallies" GROUP BY id',
    );
    expect(report.rows).toBe(rows.length);
    expect(report.dropped).toBe(1);
    expect(await redis.exists(keyOf(777))).toBe(0);
    await expectCacheEqualsPostgres(rows.map((r) => Number(r.id)));
    // Nothing changed since: a second rebuild writes nothing.
    expect((await paged.rebuild(new AbortController().signal)).changed).toBe(0);
  });

  async function expectCacheEqualsPostgres(ids: readonly number[]): Promise<void> {
    const { rows } = await pool.query<{ id: string; hits: string; balance: string }>(
      "SELECT id::text AS id, hits::text AS hits, balance::text AS balance FROM tallies WHERE id = ANY($1::bigint[])",
      [ids],
    );
    const live = new Map(rows.map((r) => [Number(r.id), r]));
    for (const id of ids) {
      const row = live.get(id);
      const got = await cached(id);
      if (row === undefined) expect(Object.keys(got)).toEqual([VERSION_FIELD]);
      else expect(got).toMatchObject({ hits: row.hits, balance: row.balance });
    }
  }
});
