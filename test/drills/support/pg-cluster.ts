// A throwaway PostgreSQL 15 cluster for one drill, in its own temp dir on a free port, set up
// exactly like the stack's clusters (tools/stack/postgres.ts: initdb as `postgres` when we are
// root, wal_level=logical, slots and WAL senders, replication allowed from 127.0.0.1).
//
//   start ──▶ running ──kill9()──▶ dead (host lost) ──destroy()──▶ gone
//                 └────stop()────▶ stopped ──────────destroy()────▶ gone
import {
  appendFileSync,
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import {
  findRepoRoot,
  readSecretFile,
  readSecureEndpoints,
  verifyFullPgUrl,
  waitFor,
} from "@georep/testkit";
import { ensureCa, issueServerCert } from "../../../tools/stack/certs.ts";
import type { RegionConfig } from "../../../tools/stack/config.ts";
import {
  downRegion,
  ensurePostgresBinaries,
  pgUrl,
  plainProfile,
  postgresUser,
  postmasterPid,
  upRegion,
} from "../../../tools/stack/postgres.ts";
import type { ClusterProfile } from "../../../tools/stack/postgres.ts";
import { secureConfig } from "../../../tools/stack/secure-config.ts";
import { secureProfile } from "../../../tools/stack/secure-postgres.ts";
import { isAlive } from "../../../tools/stack/proc.ts";
import { freePort } from "./free-port.ts";

/**
 * How a drill cluster is reached: plain (trust, no TLS, as the stack's clusters), or secured as
 * the secure stack's (TLS with its CA's certificate for localhost, SCRAM, plaintext refused; the
 * secure stack's admin password), so a drill can run every link secured.
 */
export interface ClusterAccess {
  readonly profile: ClusterProfile;
  /** The superuser's URL of `database` on the cluster at `port`. */
  url(port: number, database: string): string;
  readonly secure: boolean;
}

export const plainAccess: ClusterAccess = {
  profile: plainProfile,
  url: (port, database) => pgUrl(port, database),
  secure: false,
};

/**
 * Secured access for a cluster whose files live in `home` (its Unix socket goes there). The
 * secure stack must run (its CA, certificate and admin password are reused).
 */
export async function secureAccess(home: string): Promise<ClusterAccess> {
  const root = findRepoRoot();
  const layout = secureConfig(root, process.env);
  const ca = await ensureCa(layout.caDir);
  const cert = await issueServerCert(ca, "postgres", ["localhost", "127.0.0.1", "::1"]);
  const adminFile = readSecureEndpoints().regions[0]?.admin.passwordFile;
  if (adminFile === undefined) throw new Error("the secure stack has no PostgreSQL cluster");
  const password = readSecretFile(adminFile);
  const socketDir = join(home, "run");
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  // Client tools run as `postgres` here (pg_basebackup, and the standby's WAL receiver reads
  // the CA named in its primary_conninfo): a copy it can read, beside the cluster.
  const caFile = join(home, "ca.crt");
  copyFileSync(ca.caFile, caFile);
  chmodSync(caFile, 0o644);
  const user = postgresUser();
  if (user !== undefined) {
    chownSync(socketDir, user.uid, user.gid);
    chownSync(caFile, user.uid, user.gid);
  }
  return {
    profile: secureProfile({ cert, caFile, socketDir, adminPassword: password }),
    url: (port, database) =>
      verifyFullPgUrl({ host: "localhost", port, database, user: "postgres", password, caFile }),
    secure: true,
  };
}

export interface PgCluster {
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  readonly access: ClusterAccess;
  /** postgres:// URL of `database` on this cluster (superuser `postgres`). */
  url(database?: string): string;
  /** Starts (or restarts) the cluster with the stack's settings. */
  start(): Promise<void>;
  /** Fast shutdown, if it runs. */
  stop(): Promise<void>;
  /** kill -9 of the postmaster and every process it started: the host died. */
  kill9(): Promise<void>;
  /** Stops the cluster by any means and deletes its directory. Safe to call twice. */
  destroy(): Promise<void>;
}

/** A temp dir the `postgres` OS user owns (PostgreSQL refuses to run as root). */
export function postgresTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `georep-${prefix}-`));
  const user = postgresUser();
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  return dir;
}

/** Pids of the direct children of `pid` (PostgreSQL's backends and auxiliary processes). */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // the process exited while we looked
    }
  }
  return children;
}

/** SIGKILLs a postmaster and its children at once and waits until none is left. */
export async function killPostmaster(config: RegionConfig): Promise<void> {
  const pid = postmasterPid(config);
  if (pid === undefined || !isAlive(pid)) return;
  const victims = [pid, ...childPids(pid)];
  for (const victim of victims) {
    try {
      process.kill(victim, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await waitFor(() => victims.every((p) => !isAlive(p)), {
    description: `the processes of the cluster in ${config.dataDir} to die`,
    timeoutMs: 10_000,
  });
}

/**
 * Makes sure `host replication all 127.0.0.1/32` is allowed (initdb's default has it) and
 * reloads the cluster's configuration when it had to be added.
 */
export async function allowReplication(dataDir: string, url: string): Promise<void> {
  const hba = join(dataDir, "pg_hba.conf");
  const lines = readFileSync(hba, "utf8").split("\n");
  if (lines.some((l) => /^host\s+replication\s+all\s+127\.0\.0\.1\/32\s/.test(l))) return;
  appendFileSync(hba, "\nhost replication all 127.0.0.1/32 trust\n");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SELECT pg_reload_conf()");
  } finally {
    await client.end();
  }
}

/**
 * A cluster handle over a data dir that already exists or that `start()` will create;
 * `destroy()` deletes `home`, the temp dir holding its data dir and log.
 */
export function clusterAt(
  name: string,
  config: RegionConfig,
  home: string,
  access: ClusterAccess = plainAccess,
): PgCluster {
  let destroyed = false;
  return {
    name,
    port: config.port,
    dataDir: config.dataDir,
    logFile: config.logFile,
    access,
    url: (database = "postgres") => access.url(config.port, database),
    async start() {
      await upRegion(config, access.profile);
    },
    async stop() {
      await downRegion(config);
    },
    kill9: () => killPostmaster(config),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      try {
        await downRegion(config);
      } catch {
        await killPostmaster(config);
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * initdb's a new cluster in a temp dir, on a free port, and starts it.
 * @throws StackError (tools/stack) when initdb or pg_ctl fails; the cluster's log is named.
 */
export async function startCluster(
  name: string,
  options: { readonly secure?: boolean } = {},
): Promise<PgCluster> {
  await ensurePostgresBinaries();
  const dir = postgresTempDir(`drill-${name}`);
  const config: RegionConfig = {
    id: name,
    port: await freePort(),
    dataDir: join(dir, "data"),
    logFile: join(dir, "postgres.log"),
  };
  const access = options.secure === true ? await secureAccess(dir) : plainAccess;
  const cluster = clusterAt(name, config, dir, access);
  try {
    await cluster.start();
    // The secure profile's pg_hba.conf allows replication itself (over TLS, with a password).
    if (!access.secure) await allowReplication(config.dataDir, cluster.url());
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}
