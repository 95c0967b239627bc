// A physical, asynchronous streaming standby of a drill cluster (pg_basebackup -R -X stream).
//
//   streaming ──detach()──▶ cut off (keeps what it received, falls behind) ──promote()──▶ primary
//       │ ▲                                                                   (new timeline)
//  pauseReplay() resumeReplay(): WAL still arrives while replay is paused, and promotion replays
//  everything received first, so pausing alone does not make a promoted standby lose commits.
import { join } from "node:path";
import pg from "pg";
import { waitFor } from "@georep/testkit";
import { pgCommand } from "../../../tools/stack/postgres.ts";
import { runOrFail } from "../../../tools/stack/proc.ts";
import { freePort } from "./free-port.ts";
import { clusterAt, postgresTempDir } from "./pg-cluster.ts";
import type { PgCluster } from "./pg-cluster.ts";

/** How long replay must stand still after a detach to count as settled. */
const REPLAY_SETTLED_MS = 3_000;

export interface PgStandby extends PgCluster {
  /** Waits until the standby has replayed everything the primary has written so far. */
  catchUp(primary: PgCluster): Promise<void>;
  /** Pauses WAL replay (`pg_wal_replay_pause()`) and waits until it is paused. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /**
   * Cuts the standby off its primary (empty primary_conninfo, reloaded) once the WAL receiver is
   * gone and what it received is replayed: from here on it falls behind. Returns the replay LSN.
   */
  detach(): Promise<string>;
  /** `pg_promote()`: ends recovery on a new timeline and waits until it accepts writes. */
  promote(): Promise<void>;
}

async function onCluster<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function scalar(url: string, sql: string, params: unknown[] = []): Promise<string | null> {
  return onCluster(url, async (c) => {
    const { rows } = await c.query<{ v: string | null }>(sql, params);
    return rows[0]?.v ?? null;
  });
}

/**
 * Takes a base backup of `primary` and starts it as a hot standby on a free port.
 * @throws StackError (tools/stack) when pg_basebackup or pg_ctl fails.
 */
export async function startStandby(primary: PgCluster, name: string): Promise<PgStandby> {
  const dir = postgresTempDir(`drill-${name}`);
  const config = {
    id: name,
    port: await freePort(),
    dataDir: join(dir, "data"),
    logFile: join(dir, "postgres.log"),
  };
  // -R writes the connection string into postgresql.auto.conf (a secured primary's: over TLS,
  // with the password), so the standby streams as the backup connected.
  const [cmd, args] = pgCommand("pg_basebackup", [
    ...["-D", config.dataDir, "-d", primary.url()],
    ...["-R", "-X", "stream", "-c", "fast", "--no-password"],
  ]);
  // A standby is read-only: the profile's preparation (setting the admin's password) is the
  // primary's, whose roles it replays.
  const access = { ...primary.access, profile: { ...primary.access.profile, prepare: undefined } };
  const cluster = clusterAt(name, config, dir, access);
  try {
    await runOrFail(cmd, args, `is ${primary.name} up on port ${primary.port}?`, { cwd: dir });
    // The base backup carries the primary's georep.conf (its port); start() rewrites it.
    await cluster.start();
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  const url = cluster.url();
  return {
    ...cluster,
    async catchUp(from) {
      const target = await scalar(from.url(), "SELECT pg_current_wal_lsn()::text AS v");
      await waitFor(
        async () =>
          (await scalar(url, "SELECT (pg_last_wal_replay_lsn() >= $1::pg_lsn)::text AS v", [
            target,
          ])) === "true",
        { description: `standby ${name} to replay up to ${target}`, timeoutMs: 30_000 },
      );
    },
    async pauseReplay() {
      await scalar(url, "SELECT pg_wal_replay_pause()::text AS v");
      await waitFor(
        async () => (await scalar(url, "SELECT pg_get_wal_replay_pause_state() AS v")) === "paused",
        { description: `standby ${name} to pause replay`, timeoutMs: 10_000 },
      );
    },
    async resumeReplay() {
      await scalar(url, "SELECT pg_wal_replay_resume()::text AS v");
    },
    async detach() {
      await onCluster(url, async (c) => {
        await c.query("ALTER SYSTEM SET primary_conninfo = ''");
        await c.query("SELECT pg_reload_conf()");
      });
      await waitFor(
        async () =>
          (await scalar(url, "SELECT count(*)::text AS v FROM pg_stat_wal_receiver")) === "0",
        { description: `standby ${name}'s WAL receiver to stop`, timeoutMs: 10_000 },
      );
      // Replay settles either at the received position or, when the stream was cut inside a WAL
      // record, at the last complete record before it: receive then stays ahead for good.
      let last = { lsn: "", since: 0 };
      return waitFor(
        async () => {
          const { lsn, caughtUp } = JSON.parse(
            (await scalar(
              url,
              `SELECT json_build_object('lsn', pg_last_wal_replay_lsn()::text,
                 'caughtUp', pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn())::text AS v`,
            )) ?? "{}",
          ) as { lsn: string; caughtUp: boolean };
          if (lsn !== last.lsn) last = { lsn, since: Date.now() };
          return caughtUp || Date.now() - last.since >= REPLAY_SETTLED_MS ? lsn : undefined;
        },
        { description: `standby ${name}'s replay to settle`, timeoutMs: 30_000 },
      );
    },
    async promote() {
      await scalar(url, "SELECT pg_promote(true, 60)::text AS v");
      await waitFor(
        async () => (await scalar(url, "SELECT pg_is_in_recovery()::text AS v")) === "false",
        { description: `standby ${name} to leave recovery`, timeoutMs: 60_000 },
      );
    },
  };
}
