// The secure stack's Redis: a master, a replica and three Sentinels (sentinel.ts runs them) that
// speak TLS only, with ACL users instead of the open `default` user.
//
//   absent / partly running ──stop leftovers, start all five──▶ running ──down──▶ stopped
//   running and the Sentinels agree on a master with a replica in sync ──────────▶ reused
//
// Users on the data nodes:  georep   — the replicator's counter cache (georepNodeRule)
//                           replica  — replication (masteruser/masterauth on both nodes)
//                           sentinel — what Sentinel needs to monitor and fail over
// Users on the Sentinels:   georep   — clients asking for the master and watching failovers
//                           peer     — Sentinels among themselves, and the stack's own probes
import type { RedisOptions } from "ioredis";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { SecureConfig } from "./secure-config.ts";
import { StackError } from "./errors.ts";
import { isAlive, readPid } from "./proc.ts";
import { isPortFree, portOwner } from "./ports.ts";
import { join } from "node:path";
import type { GroupSecurity, SentinelGroup } from "./sentinel.ts";
import {
  attachSentinelGroup,
  groupConfigs,
  startSentinelGroup,
  stopGroupProcesses,
} from "./sentinel.ts";
import type { ServerCert } from "./certs.ts";

export interface SecureRedisSecrets {
  /** georep on the data nodes. */
  readonly georep: string;
  readonly replica: string;
  /** The user Sentinels log in to the data nodes as. */
  readonly sentinel: string;
  /** georep on the Sentinels. */
  readonly sentinelGeorep: string;
  readonly sentinelPeer: string;
}

/**
 * What the replicator's counter cache does, and nothing else: its hashes and change channels
 * (`georep:<region>:<table>:<key>`, `georep:<region>:changes:<table>`, counter-cache.ts), its two
 * Lua scripts (EVAL, then EVALSHA; Redis checks the commands and keys the scripts call —
 * HGET, HSET, DEL, EXPIRE, TYPE — against this user too), SCAN for the rebuild's sweep, reads
 * and SUBSCRIBE for services, INFO for ioredis' ready check. No KEYS, FLUSH*, CONFIG, DEBUG.
 * SCAN takes no key argument: it lists key names outside georep:* too (not their values).
 */
export const georepNodeRule = [
  "resetkeys",
  "~georep:*",
  "resetchannels",
  "&georep:*",
  "-@all",
  ...["ping", "info", "hget", "hgetall", "hmget", "hset", "del", "expire", "ttl", "type"],
  ...["exists", "scan", "eval", "evalsha", "publish", "subscribe", "unsubscribe"],
  ...["psubscribe", "punsubscribe"],
]
  .map((r) => (/^[-~&]|^reset/.test(r) ? r : `+${r}`))
  .join(" ");

/** Sentinel's needs on a monitored node, as Redis' Sentinel documentation lists them. */
const sentinelNodeRule =
  "allchannels -@all +multi +slaveof +replicaof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill";

/**
 * A client on a Sentinel: find the master, list the Sentinels and replicas, watch +switch-master
 * (and INFO, for the ready check of a plain ioredis client such as cache-failover.ts' watcher).
 */
export const georepSentinelRule =
  "resetchannels &+switch-master -@all +ping +info +subscribe +unsubscribe +sentinel|get-master-addr-by-name +sentinel|sentinels +sentinel|replicas +sentinel|slaves";

function tlsAccess(caFile: string): RedisOptions["tls"] {
  return { ca: readFileSync(caFile, "utf8") };
}

export function secureGroupSecurity(
  cert: ServerCert,
  caFile: string,
  s: SecureRedisSecrets,
): GroupSecurity {
  return {
    tls: { certFile: cert.certFile, keyFile: cert.keyFile, caFile },
    nodeLines: [
      "user default off resetpass -@all",
      `user georep on >${s.georep} ${georepNodeRule}`,
      `user replica on >${s.replica} -@all +psync +replconf +ping`,
      `user sentinel on >${s.sentinel} ${sentinelNodeRule}`,
      // Both nodes: after a failover the old master replicates from the new one.
      "masteruser replica",
      `masterauth ${s.replica}`,
    ],
    sentinelLines: (masterName) => [
      "user default off resetpass -@all",
      `user peer on >${s.sentinelPeer} allchannels +@all`,
      `user georep on >${s.sentinelGeorep} ${georepSentinelRule}`,
      "sentinel sentinel-user peer",
      `sentinel sentinel-pass ${s.sentinelPeer}`,
      `sentinel auth-user ${masterName} sentinel`,
      `sentinel auth-pass ${masterName} ${s.sentinel}`,
    ],
    nodeAccess: { tls: tlsAccess(caFile), username: "sentinel", password: s.sentinel },
    sentinelAccess: { tls: tlsAccess(caFile), username: "peer", password: s.sentinelPeer },
  };
}

function groupOptions(config: SecureConfig, security: GroupSecurity) {
  return {
    dir: config.redis.dir,
    masterName: config.redis.masterName,
    ports: config.redis,
    security,
    // A loaded 2-core machine stalls processes for a second now and then: no failover for that.
    downAfterMs: 5_000,
    failoverTimeoutMs: 10_000,
  };
}

/** What the running group was started from (a hash of its configs), kept until `down`. */
function fingerprintOf(config: SecureConfig): string {
  return join(config.redis.dir, "configs.sha256");
}

function pids(config: SecureConfig): Array<number | undefined> {
  const { dir, nodes, sentinels } = config.redis;
  return [
    ...nodes.map((p) => readPid(join(dir, `redis-${p}.pid`))),
    ...sentinels.map((p) => readPid(join(dir, `sentinel-${p}.pid`))),
  ];
}

/**
 * A handle on the running group with the stack's own logins (Sentinels as `peer`, nodes as
 * `sentinel`), for tests that fail it over or kill a node; starts nothing. Its stop() stops the
 * whole group: leave that to `pnpm stack secure down`.
 */
export function attachSecureRedis(config: SecureConfig, security: GroupSecurity): SentinelGroup {
  return attachSentinelGroup(groupOptions(config, security));
}

/**
 * Why the group is not healthy (a process gone, the Sentinels disagree, no replica in sync),
 * or undefined.
 */
export async function checkSecureRedis(
  config: SecureConfig,
  security: GroupSecurity,
  timeoutMs = 2_000,
): Promise<string | undefined> {
  if (!pids(config).every((pid) => pid !== undefined && isAlive(pid)))
    return `not every process runs (pid files in ${config.redis.dir})`;
  try {
    await attachSecureRedis(config, security).waitForMaster({
      replica: true,
      timeoutMs,
    });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Reuses a healthy group started from the same configs; otherwise stops what is left of it and
 * starts all five afresh (the cache holds nothing PostgreSQL cannot rebuild).
 * @throws StackError when a port is taken by something else or the group does not form.
 */
export async function upSecureRedis(
  config: SecureConfig,
  security: GroupSecurity,
): Promise<{ action: "reused" | "started" | "restarted"; group: SentinelGroup }> {
  const options = groupOptions(config, security);
  const fingerprintFile = fingerprintOf(config);
  // Sentinels rewrite their config files: what they started from is compared by its hash.
  const fingerprint = createHash("sha256")
    .update(JSON.stringify(groupConfigs(options)))
    .digest("hex");
  const started = existsSync(fingerprintFile) ? readFileSync(fingerprintFile, "utf8") : "";
  if (started === fingerprint && (await checkSecureRedis(config, security)) === undefined)
    return { action: "reused", group: attachSentinelGroup(options) };
  await stopGroupProcesses(config.redis.dir);
  rmSync(fingerprintFile, { force: true });
  for (const port of [...config.redis.nodes, ...config.redis.sentinels]) {
    if (!(await isPortFree(port)))
      throw new StackError(
        `port ${port} for the secure Redis group is taken by ${portOwner(port)}`,
        `stop that process ('ss -ltnp sport = :${port}' shows it)`,
      );
  }
  const group = await startSentinelGroup(options);
  writeFileSync(fingerprintFile, fingerprint);
  return { action: started === "" ? "started" : "restarted", group };
}

/** Stops the group's processes; returns how many ran. */
export async function downSecureRedis(config: SecureConfig): Promise<number> {
  const stopped = await stopGroupProcesses(config.redis.dir);
  rmSync(fingerprintOf(config), { force: true });
  return stopped;
}
