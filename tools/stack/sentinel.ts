// A Sentinel-managed Redis for tests that fail Redis over: a master, one replica and three
// Sentinels (quorum 2), all on free ports of 127.0.0.1, in a directory of the caller's. Opt-in:
// `pnpm stack up` never starts it; a test calls startSentinelGroup() and stop(). The secure stack
// (secure-redis.ts) runs one on fixed ports with TLS and ACL users (`security`).
//
//   startSentinelGroup() ──▶ running ──failover() / kill(port)──▶ running (another master)
//                              └──────────────stop()──────────────▶ stopped (every process)
//   a node killed ──restart(port)──▶ running again, as a replica of the current master
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { Redis, RedisOptions } from "ioredis";
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
   * Starts the data node on this port again from its config file, as a replica of the master the
   * Sentinels name. Does not wait for it to sync: waitForMaster({ replica: true }).
   * @throws StackError when it runs already, no Sentinel names a master or redis-server fails.
   */
  restart(port: number): Promise<void>;
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

export interface GroupTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** What clients (and the nodes, towards each other) trust. */
  readonly caFile: string;
}

/**
 * TLS and ACL users for a group. Without it every process speaks plain RESP on its port and
 * the `default` user needs no password.
 */
export interface GroupSecurity {
  readonly tls: GroupTls;
  /** More lines for every data node's config: `user …` rules, `masteruser`/`masterauth`. */
  readonly nodeLines: readonly string[];
  /** More lines for every Sentinel's config, after `sentinel monitor` (which they refer to). */
  readonly sentinelLines: (masterName: string) => readonly string[];
  /** How the group's own probes connect to data nodes (INFO, ROLE) and Sentinels (SENTINEL …). */
  readonly nodeAccess: RedisOptions;
  readonly sentinelAccess: RedisOptions;
}

export interface SentinelGroupOptions {
  readonly dir: string;
  readonly masterName?: string;
  /** How long a master must not answer before Sentinels call it down. */
  readonly downAfterMs?: number;
  readonly failoverTimeoutMs?: number;
  /** Fixed ports instead of free ones: the data nodes (master first) and the three Sentinels. */
  readonly ports?: {
    readonly nodes: readonly [number, number];
    readonly sentinels: readonly [number, number, number];
  };
  readonly security?: GroupSecurity;
}

const HOST = "127.0.0.1";

/** How a process listens: its plain port, or (secure) TLS only on it, towards peers too. */
function listenLines(port: number, tls: GroupTls | undefined): string[] {
  if (tls === undefined) return [`port ${port}`];
  return [
    "port 0",
    `tls-port ${port}`,
    `tls-cert-file ${tls.certFile}`,
    `tls-key-file ${tls.keyFile}`,
    `tls-ca-cert-file ${tls.caFile}`,
    // Clients prove who they are with an ACL password, not a client certificate.
    "tls-auth-clients no",
    // Replication and Sentinel's own connections to the nodes go over TLS too.
    "tls-replication yes",
  ];
}

/** A data node's config file (passwords included when secure: written 0600). Pure. */
export function nodeConfig(o: {
  port: number;
  dir: string;
  replicaOf?: number;
  security?: GroupSecurity;
}): string {
  return [
    `bind ${HOST}`,
    ...listenLines(o.port, o.security?.tls),
    "daemonize yes",
    `pidfile ${join(o.dir, `redis-${o.port}.pid`)}`,
    `logfile ${join(o.dir, `redis-${o.port}.log`)}`,
    `dir ${o.dir}`,
    `dbfilename dump-${o.port}.rdb`,
    'save ""',
    "appendonly no",
    ...(o.replicaOf === undefined ? [] : [`replicaof ${HOST} ${o.replicaOf}`]),
    ...(o.security?.nodeLines ?? []),
    "",
  ].join("\n");
}

/** A Sentinel's config file; Sentinel rewrites it as the group changes. Pure. */
export function sentinelConfig(o: {
  port: number;
  dir: string;
  masterName: string;
  master: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  security?: GroupSecurity;
}): string {
  const name = o.masterName;
  return [
    ...listenLines(o.port, o.security?.tls),
    `bind ${HOST}`,
    "daemonize yes",
    `pidfile ${join(o.dir, `sentinel-${o.port}.pid`)}`,
    `logfile ${join(o.dir, `sentinel-${o.port}.log`)}`,
    `dir ${o.dir}`,
    `sentinel monitor ${name} ${HOST} ${o.master} 2`,
    `sentinel down-after-milliseconds ${name} ${o.downAfterMs}`,
    `sentinel failover-timeout ${name} ${o.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${name} 1`,
    ...(o.security?.sentinelLines(name) ?? []),
    "",
  ].join("\n");
}

/** One short-lived client per question: each node may be down at any moment. */
async function ask<T>(
  port: number,
  access: RedisOptions | undefined,
  run: (c: Redis) => Promise<T>,
): Promise<T | undefined> {
  const client = probeClient(port, access);
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

export interface GroupConfig {
  readonly kind: "redis" | "sentinel";
  readonly port: number;
  readonly file: string;
  readonly text: string;
}

/** The config files a group starts from, in start order: master, replica, Sentinels. Pure. */
export function groupConfigs(
  options: SentinelGroupOptions & { ports: NonNullable<SentinelGroupOptions["ports"]> },
): GroupConfig[] {
  const { dir, security } = options;
  const [first, second] = options.ports.nodes;
  const secure = security === undefined ? {} : { security };
  const node = (port: number, replicaOf?: number): GroupConfig => ({
    kind: "redis",
    port,
    file: join(dir, `redis-${port}.conf`),
    text: nodeConfig({ port, dir, ...(replicaOf === undefined ? {} : { replicaOf }), ...secure }),
  });
  return [
    node(first),
    node(second, first),
    ...options.ports.sentinels.map((port) => ({
      kind: "sentinel" as const,
      port,
      file: join(dir, `sentinel-${port}.conf`),
      text: sentinelConfig({
        port,
        dir,
        masterName: options.masterName ?? "georep",
        master: first,
        downAfterMs: options.downAfterMs ?? 1_000,
        failoverTimeoutMs: options.failoverTimeoutMs ?? 5_000,
        ...secure,
      }),
    })),
  ];
}

/**
 * Starts a master, a replica and three Sentinels; resolves once the Sentinels know the replica
 * and each other (a failover can then be run). Installs Debian's redis-sentinel when missing.
 * @throws StackError when a process does not start or the group does not form in 30 s.
 */
export async function startSentinelGroup(options: SentinelGroupOptions): Promise<SentinelGroup> {
  const { dir, security } = options;
  const masterName = options.masterName ?? "georep";
  if (which("redis-server") === undefined)
    await aptInstall(["redis-server"], "redis-server is not installed");
  if (which("redis-sentinel") === undefined)
    await aptInstall(["redis-sentinel"], "redis-sentinel is not installed");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pidFiles: string[] = [];
  const stop = async (): Promise<void> => {
    for (const file of pidFiles) {
      const pid = readPid(file);
      if (pid !== undefined && isAlive(pid)) await stopProcess(pid, file, 5_000);
    }
  };
  try {
    const ports = options.ports ?? {
      nodes: [await freePort(), await freePort()] as const,
      sentinels: [await freePort(), await freePort(), await freePort()] as const,
    };
    const { nodes } = ports;
    const sentinels = ports.sentinels.map((port) => ({ host: HOST, port }));
    for (const c of groupConfigs({ ...options, ports })) {
      pidFiles.push(join(dir, `${c.kind}-${c.port}.pid`));
      // Passwords may be inside. Sentinel rewrites its own file as the group changes.
      writeFileSync(c.file, c.text, { mode: 0o600 });
      await runOrFail(
        c.kind === "redis" ? "redis-server" : "redis-sentinel",
        [c.file],
        `see ${join(dir, `${c.kind}-${c.port}.log`)}`,
      );
    }
    const group = makeGroup(masterName, sentinels, nodes, dir, stop, security);
    await until(
      "the Sentinels to know the replica and each other",
      30_000,
      async () => {
        for (const s of sentinels) {
          const known = await ask(s.port, security?.sentinelAccess, async (c) => {
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

/**
 * A handle on a group started earlier on fixed ports (by another process: the secure stack's
 * `up`), without starting anything. Its `stop()` stops every process with a pid file in `dir`.
 */
export function attachSentinelGroup(
  options: SentinelGroupOptions & { ports: NonNullable<SentinelGroupOptions["ports"]> },
): SentinelGroup {
  const sentinels = options.ports.sentinels.map((port) => ({ host: HOST, port }));
  return makeGroup(
    options.masterName ?? "georep",
    sentinels,
    options.ports.nodes,
    options.dir,
    async () => {
      await stopGroupProcesses(options.dir);
    },
    options.security,
  );
}

/** Stops every Redis and Sentinel whose pid file is in `dir`; returns how many ran. */
export async function stopGroupProcesses(dir: string): Promise<number> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /^(redis|sentinel)-\d+\.pid$/.test(f));
  } catch {
    return 0;
  }
  let stopped = 0;
  for (const file of files) {
    const pid = readPid(join(dir, file));
    if (pid === undefined || !isAlive(pid)) continue;
    await stopProcess(pid, join(dir, file), 5_000);
    stopped += 1;
  }
  return stopped;
}

function makeGroup(
  masterName: string,
  sentinels: readonly Address[],
  nodes: readonly number[],
  dir: string,
  stop: () => Promise<void>,
  security?: GroupSecurity,
): SentinelGroup {
  const toSentinel = security?.sentinelAccess;
  const toNode = security?.nodeAccess;
  const named = async (port: number): Promise<Address | undefined> =>
    ask(port, toSentinel, async (c) => {
      const reply = (await c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)) as
        [string, string] | null;
      return reply === null ? undefined : { host: reply[0], port: Number(reply[1]) };
    });
  const current = async (): Promise<Address> => {
    for (const s of sentinels) {
      const m = await named(s.port);
      if (m !== undefined) return m;
    }
    throw new StackError(`no Sentinel names a master for '${masterName}'`, `see ${dir}`);
  };
  return {
    masterName,
    sentinels,
    nodes,
    master: current,
    async failover() {
      for (const s of sentinels) {
        const ok = await ask(s.port, toSentinel, (c) => c.call("SENTINEL", "FAILOVER", masterName));
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
    async restart(port) {
      const pid = readPid(join(dir, `redis-${port}.pid`));
      if (pid !== undefined && isAlive(pid))
        throw new StackError(`the Redis on ${port} runs already (pid ${pid})`, "kill it first");
      // Straight as a replica of the current master: a node that comes back as master waits for
      // the Sentinels to notice and convert it (about 10 s more).
      const m = await current();
      await runOrFail(
        "redis-server",
        [join(dir, `redis-${port}.conf`), "--replicaof", m.host, String(m.port)],
        `see ${join(dir, `redis-${port}.log`)}`,
      );
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
          const replication = await ask(m.port, toNode, (c) => c.info("replication"));
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
