import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { expect, it } from "vitest";
import { useCleanups } from "@georep/testkit";
import { isAlive } from "../../tools/stack/proc.ts";
import { startCluster } from "./support/pg-cluster.ts";
import { dumpDatabase, restoreDatabase } from "./support/pg-dump.ts";
import { startStandby } from "./support/pg-standby.ts";

// The drills' own tooling, on a throwaway cluster (never the stack's): a standby that is cut off
// keeps only what it had, promotion moves it to a new timeline, kill -9 leaves no process
// behind, and a restored dump lands in a database with a new oid.
const defer = useCleanups();

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const count = async (url: string): Promise<number> =>
  (await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM t"))[0]?.n ?? -1;
const timeline = async (url: string): Promise<string> =>
  (
    await query<{ t: string }>(
      url,
      "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS t",
    )
  )[0]?.t ?? "";

it("a cut-off standby keeps only what it had, and is promoted on a new timeline", async () => {
  const primary = await startCluster("tool-primary");
  defer(() => primary.destroy());
  const wal = (
    await query<{ w: string; s: string }>(
      primary.url(),
      "SELECT current_setting('wal_level') AS w, current_setting('max_replication_slots') AS s",
    )
  )[0];
  expect(wal).toEqual({ w: "logical", s: "20" });
  await query(primary.url(), "CREATE TABLE t (x int); INSERT INTO t VALUES (1)");
  const standby = await startStandby(primary, "tool-standby");
  defer(() => standby.destroy());
  await standby.catchUp(primary);
  expect(await count(standby.url())).toBe(1);

  await standby.pauseReplay();
  await standby.resumeReplay();
  await standby.detach();
  await query(primary.url(), "INSERT INTO t SELECT generate_series(1, 100)");
  const pid = Number(
    (await query<{ p: number }>(primary.url(), "SELECT pg_backend_pid() AS p"))[0]?.p,
  );
  const before = await timeline(primary.url());
  await primary.kill9();
  expect(isAlive(pid)).toBe(false);
  expect(existsSync(join(primary.dataDir, "postmaster.pid"))).toBe(true); // killed, not stopped

  await standby.promote();
  expect(await count(standby.url())).toBe(1);
  expect(Number.parseInt(await timeline(standby.url()), 16)).toBe(Number.parseInt(before, 16) + 1);
  await query(standby.url(), "INSERT INTO t VALUES (2)");
  expect(await count(standby.url())).toBe(2);
});

it("a dump restored after DROP DATABASE has the rows and a new database oid", async () => {
  const cluster = await startCluster("tool-dump");
  defer(() => cluster.destroy());
  await query(cluster.url(), "CREATE DATABASE app");
  const app = cluster.url("app");
  await query(app, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 10)");
  const oid = async (): Promise<number> =>
    (
      await query<{ o: number }>(app, "SELECT oid::int AS o FROM pg_database WHERE datname = 'app'")
    )[0]?.o ?? -1;
  const was = await oid();
  const file = join(cluster.dataDir, "..", "app.dump");
  await dumpDatabase(app, file);
  await query(app, "INSERT INTO t VALUES (11)");
  await query(cluster.url(), "DROP DATABASE app WITH (FORCE)");
  await query(cluster.url(), "CREATE DATABASE app");
  await restoreDatabase(app, file);
  expect(await count(app)).toBe(10);
  expect(await oid()).not.toBe(was);
});
