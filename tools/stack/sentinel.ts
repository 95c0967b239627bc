// A Sentinel-managed Redis for tests that fail Redis over: a master, one replica and three
// Sentinels (quorum 2), all on free ports of 127.0.0.1, in a directory of the caller's. Opt-in:
// `pnpm stack up` never starts it; a test calls startSentinelGroup() and stop().
//
//   startSentinelGroup() ──▶ running ──failover() / kill(port)──▶ running (another master)
//                              └──────────────stop()──────────────▶ stopped (every process)
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { Redis } from "ioredis";
import { freePort } from "@georep/testkit";
import { StackError } from "./errors.ts";
import { probeClient } from "./redis.ts";
import { aptInstall, isAlive, readPid, runOrFail, stopProcess, which } from "./proc.ts";

export interface Address {
  readonly host: string;
  readonly port: number;
}

export interface SentinelGroup {
  readonly masterName: string;
  /** For a client's `sentinels` option. */
  readonly sentinels: readonly Address[];
  /** The two data nodes' ports (the first one starts as master). */
  readonly nodes: readonly number[];
  /** The master the Sentinels name now. */
  master(): Promise<Address>;
  /** Asks a Sentinel for a failover (`SENTINEL FAILOVER`), without waiting for it. */
  failover(): Promise<void>;
  /** SIGKILLs the data node on this port. */
  kill(port: number): void;
  /**
   * Waits until every Sentinel names a master other than `previous` that answers as master,
   * and (with `replica`) until a replica is in sync with it again.
   * @throws StackError when that takes longer than `timeoutMs`.
   */
  waitForMaster(options: {
    previous?: number;
    replica: boolean;
    timeoutMs?: number;
  }): Promise<Address>;
  stop(): Promise<void>;
}

export interface SentinelGroupOptions {
  readonly dir: string;
  readonly masterName?: string;
  /** How long a master must not answer before Sentinels call it down. */
  readonly downAfterMs?: number;
  readonly failoverTimeoutMs?: number;
}

const HOST = "127.0.0.1";

/** One short-lived client per question: each node may be down at any moment. */
async function ask<T>(port: number, run: (c: Redis) => Promise<T>): Promise<T | undefined> {
  const client = probeClient(port);
  try {
    await client.connect();
    return await run(client);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  fix: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new StackError(`timed out after ${timeoutMs} ms waiting for ${what}`, fix);
    await delay(100);
  }
}

function info(text: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, "m").exec(text)?.[1]?.trim();
}

/**
 * Starts a master, a replica and three Sentinels; resolves once the Sentinels know the replica
 * and each other (a failover can then be run). Installs Debian's redis-sentinel when missing.
 * @throws StackError when a process does not start or the group does not form in 30 s.
 */
export async function startSentinelGroup(options: SentinelGroupOptions): Promise<SentinelGroup> {
  const { dir } = options;
  const masterName = options.masterName ?? "georep";
  if (which("redis-server") === undefined)
    await aptInstall(["redis-server"], "redis-server is not installed");
  if (which("redis-sentinel") === undefined)
    await aptInstall(["redis-sentinel"], "redis-sentinel is not installed");
  mkdirSync(dir, { recursive: true });
  const pidFiles: string[] = [];
  const stop = async (): Promise<void> => {
    for (const file of pidFiles) {
      const pid = readPid(file);
      if (pid !== undefined && isAlive(pid)) await stopProcess(pid, file, 5_000);
    }
  };
  try {
    const nodes = [await freePort(), await freePort()];
    const [first, second] = nodes as [number, number];
    for (const port of nodes) {
      const pidFile = join(dir, `redis-${port}.pid`);
      pidFiles.push(pidFile);
      const log = join(dir, `redis-${port}.log`);
      await runOrFail(
        "redis-server",
        [
          "--port",
          String(port),
          "--bind",
          HOST,
          "--daemonize",
          "yes",
          "--pidfile",
          pidFile,
          "--logfile",
          log,
          "--dir",
          dir,
          "--dbfilename",
          `dump-${port}.rdb`,
          "--save",
          "",
          "--appendonly",
          "no",
          ...(port === second ? ["--replicaof", HOST, String(first)] : []),
        ],
        `see ${log}`,
      );
    }
    const sentinels: Address[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const pidFile = join(dir, `sentinel-${port}.pid`);
      pidFiles.push(pidFile);
      const conf = join(dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its config file as the group changes: one writable file each.
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          "daemonize yes",
          `pidfile ${pidFile}`,
          `logfile ${join(dir, `sentinel-${port}.log`)}`,
          `dir ${dir}`,
          `sentinel monitor ${masterName} ${HOST} ${first} 2`,
          `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1_000}`,
          `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 5_000}`,
          `sentinel parallel-syncs ${masterName} 1`,
          "",
        ].join("\n"),
      );
      await runOrFail("redis-sentinel", [conf], `see ${join(dir, `sentinel-${port}.log`)}`);
      sentinels.push({ host: HOST, port });
    }
    const group = makeGroup(masterName, sentinels, nodes, dir, stop);
    await until(
      "the Sentinels to know the replica and each other",
      30_000,
      async () => {
        for (const s of sentinels) {
          const known = await ask(s.port, async (c) => {
            const replicas = (await c.call("SENTINEL", "REPLICAS", masterName)) as unknown[];
            const peers = (await c.call("SENTINEL", "SENTINELS", masterName)) as unknown[];
            return replicas.length === 1 && peers.length === 2;
          });
          if (known !== true) return undefined;
        }
        return true;
      },
      `see the sentinel-*.log files in ${dir}`,
    );
    await group.waitForMaster({ replica: true });
    return group;
  } catch (error) {
    await stop();
    throw error;
  }
}

function makeGroup(
  masterName: string,
  sentinels: readonly Address[],
  nodes: readonly number[],
  dir: string,
  stop: () => Promise<void>,
): SentinelGroup {
  const named = async (port: number): Promise<Address | undefined> =>
    ask(port, async (c) => {
      const reply = (await c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)) as
        [string, string] | null;
      return reply === null ? undefined : { host: reply[0], port: Number(reply[1]) };
    });
  return {
    masterName,
    sentinels,
    nodes,
    async master() {
      for (const s of sentinels) {
        const m = await named(s.port);
        if (m !== undefined) return m;
      }
      throw new StackError(`no Sentinel names a master for '${masterName}'`, `see ${dir}`);
    },
    async failover() {
      for (const s of sentinels) {
        const ok = await ask(s.port, (c) => c.call("SENTINEL", "FAILOVER", masterName));
        if (ok !== undefined) return;
      }
      throw new StackError(`no Sentinel accepted SENTINEL FAILOVER ${masterName}`, `see ${dir}`);
    },
    kill(port) {
      const pid = readPid(join(dir, `redis-${port}.pid`));
      if (pid === undefined || !isAlive(pid))
        throw new StackError(`no Redis of this group runs on ${port}`, "pass one of nodes");
      process.kill(pid, "SIGKILL");
    },
    async waitForMaster({ previous, replica, timeoutMs = 30_000 }) {
      return until(
        previous === undefined ? "the master" : `a master other than ${previous}`,
        timeoutMs,
        async () => {
          const seen = await Promise.all(sentinels.map((s) => named(s.port)));
          const m = seen[0];
          if (m === undefined || m.port === previous) return undefined;
          if (seen.some((x) => x?.port !== m.port)) return undefined;
          const replication = await ask(m.port, (c) => c.info("replication"));
          if (replication === undefined || info(replication, "role") !== "master") return undefined;
          if (replica && !/^slave\d+:.*state=online/m.test(replication)) return undefined;
          return m;
        },
        `see the redis-*.log and sentinel-*.log files in ${dir}`,
      );
    },
    stop,
  };
}
