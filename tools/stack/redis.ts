// Redis: reuse one answering PING on 127.0.0.1:6379, else run our own on 16379.
//
//   external (6379 answers) ─────────────────────────────▶ reused, never stopped by us
//   none ──redis-server --daemonize (pid file)──▶ managed ──SHUTDOWN / SIGTERM──▶ stopped
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import type { StackConfig } from "./config.ts";
import { StackError } from "./errors.ts";
import {
  aptInstall,
  commandLine,
  isAlive,
  readPid,
  runOrFail,
  stopProcess,
  which,
} from "./proc.ts";
import { isPortFree, portOwner } from "./ports.ts";

type RedisConfig = StackConfig["redis"];

export interface RedisEndpoint {
  url: string;
  managed: boolean;
}

export function redisUrl(port: number): string {
  return `redis://127.0.0.1:${port}`;
}

/**
 * A client for one quick question to 127.0.0.1:`port` (1 s budget, no retries, not connected
 * yet). A node that is down is an answer, not an error: its errors are not logged. `access`
 * adds TLS and credentials (the secure stack).
 */
export function probeClient(port: number, access: RedisOptions = {}): Redis {
  const client = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    connectTimeout: 1_000,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    ...access,
  });
  client.on("error", () => undefined);
  return client;
}

/** Whether a Redis answers PING at the port (1 s budget, no retries). */
export async function ping(port: number): Promise<boolean> {
  const client = probeClient(port);
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

function pidFile(r: RedisConfig): string {
  return join(r.dir, "redis.pid");
}

/** The pid of the Redis we started, if it runs. */
export function managedPid(r: RedisConfig): number | undefined {
  const pid = readPid(pidFile(r));
  return pid !== undefined && isAlive(pid) && commandLine(pid).includes("redis-server")
    ? pid
    : undefined;
}

/**
 * Finds a Redis to use, starting our own (installing redis-server if needed) when none answers.
 * @throws StackError when our port is taken by something that is not Redis, or redis-server fails.
 */
export async function upRedis(
  r: RedisConfig,
): Promise<RedisEndpoint & { action: "external" | "reused" | "started" }> {
  if (managedPid(r) !== undefined && (await ping(r.managedPort))) {
    return { url: redisUrl(r.managedPort), managed: true, action: "reused" };
  }
  if (await ping(r.externalPort))
    return { url: redisUrl(r.externalPort), managed: false, action: "external" };
  if (!(await isPortFree(r.managedPort))) {
    throw new StackError(
      `no Redis answers on ${r.externalPort}, and our port ${r.managedPort} is taken by ${portOwner(r.managedPort)}`,
      `stop that process, or start a Redis on 127.0.0.1:${r.externalPort}`,
    );
  }
  if (which("redis-server") === undefined) {
    await aptInstall(
      ["redis-server"],
      "no Redis answers on 127.0.0.1:6379 and redis-server is not installed",
    );
  }
  mkdirSync(r.dir, { recursive: true });
  await runOrFail(
    "redis-server",
    [
      "--port",
      String(r.managedPort),
      "--bind",
      "127.0.0.1",
      "--daemonize",
      "yes",
      "--pidfile",
      pidFile(r),
      "--logfile",
      r.logFile,
      "--dir",
      r.dir,
      "--appendonly",
      "yes",
    ],
    `see ${r.logFile}`,
  );
  const until = Date.now() + 15_000;
  while (!(await ping(r.managedPort))) {
    if (Date.now() > until)
      throw new StackError(
        `redis-server on ${r.managedPort} did not answer PING`,
        `see ${r.logFile}`,
      );
    await delay(50);
  }
  return { url: redisUrl(r.managedPort), managed: true, action: "started" };
}

/**
 * Stops the Redis we started; never touches an external one.
 * @throws StackError when it does not exit.
 */
export async function downRedis(r: RedisConfig): Promise<"stopped" | "not running"> {
  const pid = managedPid(r);
  if (pid === undefined) return "not running";
  await stopProcess(pid, "redis-server", 15_000);
  rmSync(pidFile(r), { force: true });
  return "stopped";
}
