import type { ChainableCommander, Redis, Result } from "ioredis";

/**
 * The cache's two Lua scripts, run atomically by Redis (EVALSHA through ioredis' defineCommand).
 * A cached row is a hash: one field per counter column plus VERSION_FIELD, "<generation>:<sum>"
 * (cache-sql.ts says what they are). Both parts are decimal strings compared by length, then
 * text: a sum can pass 2^53, which Lua's doubles would round.
 */

/** Not a column name: columns match [a-z_][a-z0-9_]*. */
export const VERSION_FIELD = ":version";

const COMPARE = `
local function gt(x, y) return #x > #y or (#x == #y and x > y) end
local function parse(v) return string.match(v or '', '^(%d+):(%d+)$') end
`;

/**
 * KEYS[1]: the row's hash. ARGV[1]: its version; ARGV[2]: TTL seconds; ARGV[3..]: field, value
 * pairs (none: the row is deleted, the hash keeps only its version so an older read cannot bring
 * it back). Replaces the hash only when the version is newer; returns 1 if it did, else 0.
 */
const SET_IF_NEWER = `${COMPARE}
local ng, ns = parse(ARGV[1])
if not ng then return redis.error_reply('georep cache: bad version ' .. ARGV[1]) end
local og, os = parse(redis.call('HGET', KEYS[1], '${VERSION_FIELD}'))
if og then
  if og == ng and os == ns then
    redis.call('EXPIRE', KEYS[1], ARGV[2])
    return 0
  end
  if gt(og, ng) or (og == ng and gt(os, ns)) then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '${VERSION_FIELD}', ARGV[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * KEYS: cached rows of one region. ARGV[1]: the region's current generation. Deletes rows
 * written under an earlier generation (a database that lost history since); returns how many.
 */
const DROP_OLDER_GENERATIONS = `${COMPARE}
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('TYPE', key).ok == 'hash' then
    local g = parse(redis.call('HGET', key, '${VERSION_FIELD}'))
    if g and gt(ARGV[1], g) then
      redis.call('DEL', key)
      n = n + 1
    end
  end
end
return n
`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    georepSetIfNewer(
      key: string,
      version: string,
      ttlSeconds: number,
      ...fieldsAndValues: string[]
    ): Result<number, Context>;
    georepDropOlderGenerations(
      numberOfKeys: number,
      ...keysThenGeneration: string[]
    ): Result<number, Context>;
  }
}

/** Registers the scripts on a client (idempotent); pipelines of that client get them too. */
export function defineCacheScripts(redis: Redis): void {
  redis.defineCommand("georepSetIfNewer", { numberOfKeys: 1, lua: SET_IF_NEWER });
  // Variadic keys: the caller passes their count first.
  redis.defineCommand("georepDropOlderGenerations", { lua: DROP_OLDER_GENERATIONS });
}

/** Queues one row's write on a pipeline. */
export function queueSetIfNewer(
  pipeline: ChainableCommander,
  key: string,
  version: string,
  ttlSeconds: number,
  fields: ReadonlyArray<readonly [string, string]>,
): void {
  pipeline.georepSetIfNewer(key, version, ttlSeconds, ...fields.flat());
}
