// The secure stack's layout: everything under .stack/secure/, on ports apart from the plain stack's
// so both run side by side (the plain one keeps serving the other tests).
import { join } from "node:path";
import type { RegionConfig } from "./config.ts";
import { parseRegions } from "./config.ts";

export const SECURE_PG_BASE_PORT = 55451;
export const SECURE_REDIS_PORT = 16479;
export const SECURE_REDIS_REPLICA_PORT = 16480;
export const SECURE_SENTINEL_PORTS = [16481, 16482, 16483] as const;

/** Names of the files under secrets/, each one password. */
export const secretNames = {
  pgAdmin: "pg-admin",
  redisGeorep: "redis-georep",
  redisReplica: "redis-replica",
  redisSentinel: "redis-sentinel",
  sentinelGeorep: "sentinel-georep",
  sentinelPeer: "sentinel-peer",
} as const;

export interface SecureConfig {
  readonly root: string;
  readonly dir: string;
  readonly caDir: string;
  readonly secretsDir: string;
  readonly logsDir: string;
  readonly endpointsFile: string;
  readonly lockFile: string;
  readonly regions: readonly RegionConfig[];
  /** PostgreSQL's Unix sockets (admin only: peer authentication, directory 0700). */
  readonly pgSocketDir: string;
  readonly redis: {
    readonly dir: string;
    readonly masterName: string;
    /** The first one starts as master, the second as its replica. */
    readonly nodes: readonly [number, number];
    readonly sentinels: readonly [number, number, number];
  };
}

/**
 * The secure stack's layout under `<root>/.stack/secure`. Pure.
 * @throws StackError when GEOREP_REGIONS is invalid (the same regions as the plain stack).
 */
export function secureConfig(root: string, env: NodeJS.ProcessEnv): SecureConfig {
  const dir = join(root, ".stack", "secure");
  const logsDir = join(dir, "logs");
  return {
    root,
    dir,
    caDir: join(dir, "ca"),
    secretsDir: join(dir, "secrets"),
    logsDir,
    endpointsFile: join(dir, "endpoints.json"),
    lockFile: join(dir, "stack.lock"),
    regions: parseRegions(env["GEOREP_REGIONS"]).map((id, i) => ({
      id,
      port: SECURE_PG_BASE_PORT + i,
      dataDir: join(dir, "pg", id),
      logFile: join(logsDir, `pg-${id}.log`),
    })),
    pgSocketDir: join(dir, "pg", "run"),
    redis: {
      dir: join(dir, "redis"),
      masterName: "georep",
      nodes: [SECURE_REDIS_PORT, SECURE_REDIS_REPLICA_PORT],
      sentinels: [...SECURE_SENTINEL_PORTS],
    },
  };
}
