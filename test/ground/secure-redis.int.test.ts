import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheKey, changesChannel } from "@georep/replicator";
import {
  ensureSecureStack,
  readSecretFile,
  secureRedisOptions,
  secureSentinelOptions,
  uniqueName,
  waitFor,
} from "@georep/testkit";
import type { SecureEndpoints } from "@georep/testkit";
import { ensureCa } from "../../tools/stack/certs.ts";

// The secure stack's Redis and Sentinels (`pnpm stack secure up`): TLS only, ACL users. The
// `georep` user can do what the replicator's counter cache does (counter-cache.ts, cache-script.ts)
// on its own keys and channels, and nothing else.

/** One attempt: connect, run, disconnect; the error is the result when it fails. */
async function attempt<T>(options: RedisOptions, run: (c: Redis) => Promise<T>): Promise<unknown> {
  const client = new Redis({
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    sentinelRetryStrategy: () => null,
    ...options,
  });
  // A refused TLS handshake or login reaches the "error" event; connect() only says "closed".
  let cause: unknown;
  client.on("error", (error: unknown) => {
    cause ??= error;
  });
  try {
    await client.connect();
    return await run(client);
  } catch (error) {
    return cause ?? error;
  } finally {
    client.disconnect();
  }
}

/** The cache's script shape: every command its two scripts call, on the key it is given. */
const CACHE_LIKE_SCRIPT = `
redis.call('HGET', KEYS[1], ':version')
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], ':version', ARGV[1], 'hits', '7')
redis.call('EXPIRE', KEYS[1], 60)
return redis.call('TYPE', KEYS[1]).ok
`;

describe("secure Redis and Sentinel", () => {
  let endpoints: SecureEndpoints;
  let georep: RedisOptions;
  let sentinel: { host: string; port: number };
  const region = uniqueName("sr").replaceAll("_", "").slice(-10);
  const table = "public.counting_results";
  const key = cacheKey(region, table, { camera_id: "cam-1" }, ["camera_id"]);
  const otherCaDir = mkdtempSync(join(tmpdir(), "georep-other-ca-"));

  beforeAll(async () => {
    endpoints = await ensureSecureStack();
    georep = secureRedisOptions(endpoints);
    const first = endpoints.redis.sentinels[0];
    if (first === undefined) throw new Error("the secure stack has no Sentinel");
    sentinel = first;
  });
  afterAll(async () => {
    await attempt(georep, (c) => c.del(key));
    rmSync(otherCaDir, { recursive: true, force: true });
  });

  it("lets georep do what the counter cache does, over TLS", async () => {
    const result = await attempt(georep, async (c) => {
      const type = await c.eval(CACHE_LIKE_SCRIPT, 1, key, "1:5");
      const subscriber = c.duplicate();
      const received: string[] = [];
      subscriber.on("message", (_: string, message: string) => received.push(message));
      await subscriber.subscribe(changesChannel(region, table));
      await c.publish(changesChannel(region, table), '{"keys":[["cam-1"]]}');
      await waitFor(() => received.length === 1, { description: "the change notification" });
      subscriber.disconnect();
      const [, found] = await c.scan("0", "MATCH", `georep:${region}:*`, "COUNT", 1000);
      return { type, totals: await c.hgetall(key), found, ttl: await c.ttl(key), received };
    });
    expect(result).toMatchObject({
      type: "hash",
      totals: { ":version": "1:5", hits: "7" },
      found: [key],
      received: ['{"keys":[["cam-1"]]}'],
    });
    expect((result as { ttl: number }).ttl).toBeGreaterThan(0);
  });

  it("runs the script again by EVALSHA, as ioredis' defineCommand does after its first EVAL", async () => {
    const sha = createHash("sha1").update(CACHE_LIKE_SCRIPT).digest("hex");
    const result = await attempt(georep, async (c) => {
      await c.eval(CACHE_LIKE_SCRIPT, 1, key, "1:6");
      return c.evalsha(sha, 1, key, "1:7");
    });
    expect(result).toBe("hash");
  });

  it("refuses plaintext on the TLS port", async () => {
    const error = await attempt({ ...georep, tls: undefined, connectTimeout: 2_000 }, (c) =>
      c.ping(),
    );
    // The server reads a TLS ClientHello, gets "PING" and drops the connection.
    expect(String(error)).toMatch(/ECONNRESET|Connection is closed/);
  });

  it("refuses a client that trusts another CA", async () => {
    const other = await ensureCa(otherCaDir);
    const error = await attempt({ ...georep, tls: { ca: readFileSync(other.caFile) } }, (c) =>
      c.ping(),
    );
    expect(String(error)).toMatch(/self[- ]signed certificate|unable to verify/i);
  });

  it("refuses the default user, with or without a password", async () => {
    const tls = georep.tls;
    expect(
      String(
        await attempt({ host: "localhost", port: endpoints.redis.port, tls }, (c) => c.ping()),
      ),
    ).toMatch(/NOAUTH/);
    expect(
      String(
        await attempt(
          {
            host: "localhost",
            port: endpoints.redis.port,
            tls,
            username: "default",
            password: "x",
          },
          (c) => c.ping(),
        ),
      ),
    ).toMatch(/WRONGPASS/);
  });

  it("refuses georep's wrong password", async () => {
    const error = await attempt({ ...georep, password: `${String(georep.password)}x` }, (c) =>
      c.ping(),
    );
    expect(String(error)).toMatch(/WRONGPASS/);
  });

  it.each([
    ["FLUSHALL", []],
    ["FLUSHDB", []],
    ["CONFIG", ["GET", "*"]],
    ["KEYS", ["*"]],
    ["SCRIPT", ["FLUSH"]],
    ["CLIENT", ["LIST"]],
    ["ACL", ["LIST"]],
    ["SET", [`georep:${region}:x`, "1"]],
    ["HSET", ["other:key", "f", "v"]],
    ["HGETALL", ["other:key"]],
    ["PUBLISH", ["other-channel", "x"]],
    ["EVAL", ["return redis.call('HSET', KEYS[1], 'f', 'v')", "1", "other:key"]],
  ] as const)("denies georep %s %s", async (command, args) => {
    const error = await attempt(georep, (c) => c.call(command, ...args));
    expect(String(error)).toMatch(/NOPERM/);
  });

  it("finds the master through the Sentinels over TLS, with ACL logins on both", async () => {
    const result = await attempt(secureSentinelOptions(endpoints), async (c) => {
      const role = (await c.info("replication")).match(/^role:(\w+)/m)?.[1];
      await c.hset(key, "probe", "1");
      return { role, probe: await c.hget(key, "probe") };
    });
    expect(result).toEqual({ role: "master", probe: "1" });
  });

  it("is refused by the master when ioredis is not told to use TLS past the Sentinels", async () => {
    const options = { ...secureSentinelOptions(endpoints), enableTLSForSentinelMode: false };
    expect(String(await attempt(options, (c) => c.ping()))).toMatch(/ECONNRESET|closed/);
  });

  it("lets a plain client watch a Sentinel's +switch-master over TLS, as the cache does", async () => {
    const login: RedisOptions = {
      host: sentinel.host,
      port: sentinel.port,
      tls: secureSentinelOptions(endpoints).sentinelTLS,
      username: endpoints.redis.sentinelUsername,
      password: readSecretFile(endpoints.redis.sentinelPasswordFile),
    };
    expect(await attempt(login, (c) => c.subscribe("+switch-master"))).toBe(1);
    expect(String(await attempt(login, (c) => c.subscribe("+sdown")))).toMatch(/NOPERM/);
  });

  it("refuses plaintext and the default user on a Sentinel", async () => {
    const { tls } = secureSentinelOptions(endpoints);
    const at = { host: sentinel.host, port: sentinel.port };
    const plain = await attempt({ ...at, connectTimeout: 2_000 }, (c) => c.ping());
    expect(String(plain)).toMatch(/ECONNRESET|Connection is closed/);
    expect(String(await attempt({ ...at, tls }, (c) => c.ping()))).toMatch(/NOAUTH/);
  });

  it("lets georep ask a Sentinel for the master but not fail it over or reconfigure it", async () => {
    const options = secureSentinelOptions(endpoints);
    const login: RedisOptions = {
      host: sentinel.host,
      port: sentinel.port,
      tls: options.sentinelTLS,
      username: endpoints.redis.sentinelUsername,
      password: readSecretFile(endpoints.redis.sentinelPasswordFile),
    };
    const master = await attempt(login, (c) =>
      c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", endpoints.redis.masterName),
    );
    expect(master).toEqual(["127.0.0.1", String(endpoints.redis.port)]);
    for (const args of [
      ["FAILOVER", endpoints.redis.masterName],
      ["SET", endpoints.redis.masterName, "down-after-milliseconds", "1"],
      ["REMOVE", endpoints.redis.masterName],
    ]) {
      const error = await attempt(login, (c) => c.call("SENTINEL", ...args));
      expect(String(error)).toMatch(/NOPERM/);
    }
  });
});
