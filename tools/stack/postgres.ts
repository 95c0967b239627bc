// One PostgreSQL 15 cluster per region under .stack/pg/<region>.
//
//   absent ──initdb──▶ stopped ──pg_ctl start -w──▶ running ──pg_ctl stop -m fast──▶ stopped
//                         ▲                            │ georep.conf changed
//                         └────────── restart ◀────────┘
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  appendFileSync,
  chownSync,
  closeSync,
  openSync,
} from "node:fs";
import { dirname, join } from "node:path";
import pg from "pg";
import type { RegionConfig } from "./config.ts";
import { StackError } from "./errors.ts";
import { isRoot, probe, run, runOrFail, aptInstall } from "./proc.ts";
import { isPortFree, portOwner } from "./ports.ts";

export const PG_BIN = process.env["GEOREP_PG_BIN"] ?? "/usr/lib/postgresql/15/bin";

/**
 * Settings every region's cluster runs with. fsync and synchronous_commit keep their safe defaults: we test durability.
 * `overrides` replaces a setting in place or appends a new one (the secure stack's TLS and sockets).
 */
export function clusterSettings(
  port: number,
  overrides: Readonly<Record<string, string>> = {},
): string {
  const settings: Record<string, string> = {
    listen_addresses: "'127.0.0.1'",
    port: String(port),
    unix_socket_directories: "''",
    max_connections: "200",
    shared_buffers: "128MB",
    wal_level: "logical",
    max_replication_slots: "20",
    max_wal_senders: "20",
    max_slot_wal_keep_size: "1GB",
    wal_sender_timeout: "60s",
    log_line_prefix: "'%m [%p] %q%u@%d '",
    log_timezone: "'UTC'",
    timezone: "'UTC'",
    ...overrides,
  };
  return [
    "# Written by `pnpm stack up` (tools/stack/postgres.ts); changes here are overwritten.",
    ...Object.entries(settings).map(([name, value]) => `${name} = ${value}`),
    "",
  ].join("\n");
}

export function pgUrl(port: number, database = "postgres"): string {
  return `postgres://postgres@127.0.0.1:${port}/${database}`;
}

export interface PgUser {
  uid: number;
  gid: number;
}

export function postgresUser(): PgUser | undefined {
  if (!isRoot()) return undefined;
  const r = probe("id", ["-u", "postgres"]);
  const g = probe("id", ["-g", "postgres"]);
  if (r.code !== 0 || g.code !== 0) {
    throw new StackError(
      "there is no 'postgres' system user to run initdb as (PostgreSQL refuses to run as root)",
      "apt-get install -y postgresql-15 (it creates the user), or: useradd --system --home /var/lib/postgresql postgres",
    );
  }
  return { uid: Number(r.output.trim()), gid: Number(g.output.trim()) };
}

/** Runs a PostgreSQL binary as `postgres` when we are root, else as ourselves. */
export function pgCommand(bin: string, args: readonly string[]): [string, string[]] {
  const path = join(PG_BIN, bin);
  return isRoot() ? ["runuser", ["-u", "postgres", "--", path, ...args]] : [path, [...args]];
}

/**
 * Makes sure the PostgreSQL 15 binaries exist, installing postgresql-15 with apt-get if not.
 * @throws StackError when they are missing and cannot be installed.
 */
export async function ensurePostgresBinaries(): Promise<void> {
  if (existsSync(join(PG_BIN, "initdb")) && existsSync(join(PG_BIN, "pg_ctl"))) return;
  await aptInstall(
    ["postgresql-15"],
    `PostgreSQL 15 is not installed (no ${join(PG_BIN, "initdb")})`,
  );
  if (!existsSync(join(PG_BIN, "initdb"))) {
    throw new StackError(
      `postgresql-15 installed but ${join(PG_BIN, "initdb")} is still missing`,
      "set GEOREP_PG_BIN to the folder holding initdb and pg_ctl",
    );
  }
}

function chownTo(user: PgUser | undefined, path: string): void {
  if (user !== undefined) chownSync(path, user.uid, user.gid);
}

async function assertPostgresCanReach(user: PgUser | undefined, dir: string): Promise<void> {
  if (user === undefined) return;
  const r = await run("runuser", ["-u", "postgres", "--", "test", "-w", dir, "-a", "-x", dir]);
  if (r.code !== 0) {
    throw new StackError(
      `the 'postgres' user cannot reach ${dir} (a parent folder is not traversable)`,
      `chmod o+x each parent of ${dir} (e.g. chmod o+x ${dirname(dirname(dirname(dir)))}), or clone the repository under a world-traversable path`,
    );
  }
}

type ClusterState = "absent" | "stopped" | "running";

async function clusterState(region: RegionConfig): Promise<ClusterState> {
  if (!existsSync(join(region.dataDir, "PG_VERSION"))) return "absent";
  const [cmd, args] = pgCommand("pg_ctl", ["status", "-D", region.dataDir]);
  const r = await run(cmd, args, { cwd: dirname(region.dataDir) });
  return r.code === 0 ? "running" : "stopped";
}

/**
 * How one kind of cluster is configured and checked: the plain stack's (`plainProfile`), or the
 * secure stack's (secure-postgres.ts: TLS, SCRAM passwords, its own pg_hba.conf).
 */
export interface ClusterProfile {
  /** Files of the data directory we own, by name (georep.conf at least); rewritten when they differ. */
  files(region: RegionConfig): Readonly<Record<string, string>>;
  /** Runs once the cluster runs (started or reused), before `check`. */
  prepare?(region: RegionConfig): Promise<void>;
  /** Why the running cluster is not healthy, or undefined. */
  check(region: RegionConfig): Promise<string | undefined>;
}

export const plainProfile: ClusterProfile = {
  files: (region) => ({ "georep.conf": clusterSettings(region.port) }),
  check: (region) => checkRegion(region),
};

/** Writes the profile's files (owned by postgres, 0600: one may be a private key); returns whether any changed. */
function writeSettings(
  region: RegionConfig,
  user: PgUser | undefined,
  profile: ClusterProfile,
): boolean {
  let changed = false;
  for (const [name, wanted] of Object.entries(profile.files(region))) {
    const file = join(region.dataDir, name);
    const before = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (before === wanted) continue;
    writeFileSync(file, wanted, { mode: 0o600 });
    chownTo(user, file);
    changed = true;
  }
  const main = join(region.dataDir, "postgresql.conf");
  if (!readFileSync(main, "utf8").includes("include 'georep.conf'")) {
    appendFileSync(main, "\n# georep local stack\ninclude 'georep.conf'\n");
  }
  return changed;
}

async function initCluster(region: RegionConfig, user: PgUser | undefined): Promise<void> {
  rmSync(region.dataDir, { recursive: true, force: true });
  mkdirSync(region.dataDir, { recursive: true, mode: 0o700 });
  chownTo(user, region.dataDir);
  await assertPostgresCanReach(user, region.dataDir);
  const [cmd, args] = pgCommand("initdb", [
    "-D",
    region.dataDir,
    "-U",
    "postgres",
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-instructions",
  ]);
  await runOrFail(
    cmd,
    args,
    `look at the initdb output above; remove ${region.dataDir} and retry`,
    { cwd: dirname(region.dataDir) },
  );
}

function prepareLog(region: RegionConfig, user: PgUser | undefined): void {
  mkdirSync(dirname(region.logFile), { recursive: true });
  closeSync(openSync(region.logFile, "a"));
  chownTo(user, region.logFile);
}

/** The port a running cluster listens on, from postmaster.pid (line 4). */
function runningPort(region: RegionConfig): number | undefined {
  try {
    const line = readFileSync(join(region.dataDir, "postmaster.pid"), "utf8").split("\n")[3];
    return line === undefined ? undefined : Number(line);
  } catch {
    return undefined;
  }
}

export interface RegionUp {
  action: "reused" | "started" | "created" | "restarted";
}

/**
 * Creates, configures and starts a region's cluster; reuses it when it is already running.
 * @throws StackError when the port is taken by another process or initdb/pg_ctl fails.
 */
export async function upRegion(
  region: RegionConfig,
  profile: ClusterProfile = plainProfile,
): Promise<RegionUp> {
  const user = postgresUser();
  mkdirSync(dirname(region.dataDir), { recursive: true });
  let state = await clusterState(region);
  let action: RegionUp["action"] = "started";
  if (state === "absent") {
    await initCluster(region, user);
    state = "stopped";
    action = "created";
  }
  const changed = writeSettings(region, user, profile);
  prepareLog(region, user);
  if (state === "running" && !changed && runningPort(region) === region.port) {
    await waitHealthy(region, profile);
    return { action: "reused" };
  }
  if (state === "running") {
    const [cmd, args] = pgCommand("pg_ctl", ["stop", "-D", region.dataDir, "-m", "fast", "-w"]);
    await runOrFail(cmd, args, `see ${region.logFile}`, { cwd: dirname(region.dataDir) });
    action = "restarted";
  }
  if (!(await isPortFree(region.port))) {
    throw new StackError(
      `port ${region.port} for region ${region.id} is taken by ${portOwner(region.port)}`,
      `stop that process, or choose other regions/ports (GEOREP_REGIONS); 'ss -ltnp sport = :${region.port}' shows it`,
    );
  }
  const [cmd, args] = pgCommand("pg_ctl", [
    "start",
    "-D",
    region.dataDir,
    "-l",
    region.logFile,
    "-w",
    "-t",
    "60",
  ]);
  await runOrFail(cmd, args, `see ${region.logFile}`, { cwd: dirname(region.dataDir) });
  await waitHealthy(region, profile);
  return { action };
}

async function waitHealthy(region: RegionConfig, profile: ClusterProfile): Promise<void> {
  await profile.prepare?.(region);
  const problem = await profile.check(region);
  if (problem !== undefined)
    throw new StackError(
      `PostgreSQL ${region.id} is running but unhealthy: ${problem}`,
      `see ${region.logFile}`,
    );
}

/** Why a region's cluster is not healthy, or undefined when it answers with the expected settings. */
export async function checkRegion(region: RegionConfig): Promise<string | undefined> {
  const client = new pg.Client({
    connectionString: pgUrl(region.port),
    connectionTimeoutMillis: 3_000,
  });
  try {
    await client.connect();
    const { rows } = await client.query<{ wal_level: string }>(
      "SELECT current_setting('wal_level') AS wal_level",
    );
    return rows[0]?.wal_level === "logical"
      ? undefined
      : `wal_level is ${rows[0]?.wal_level ?? "unknown"}, not logical`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Stops a region's cluster (fast shutdown) if it runs.
 * @throws StackError when pg_ctl cannot stop it.
 */
export async function downRegion(region: RegionConfig): Promise<"stopped" | "not running"> {
  if ((await clusterState(region)) !== "running") return "not running";
  const [cmd, args] = pgCommand("pg_ctl", [
    "stop",
    "-D",
    region.dataDir,
    "-m",
    "fast",
    "-w",
    "-t",
    "60",
  ]);
  await runOrFail(
    cmd,
    args,
    `see ${region.logFile}; as a last resort: pg_ctl stop -m immediate -D ${region.dataDir}`,
    {
      cwd: dirname(region.dataDir),
    },
  );
  return "stopped";
}

/** The postmaster pid of a region (for the no-process-left check), if its pid file exists. */
export function postmasterPid(region: RegionConfig): number | undefined {
  try {
    const pid = Number(readFileSync(join(region.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
