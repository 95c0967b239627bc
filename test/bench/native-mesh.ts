/**
 * The lag bench's anchor: PostgreSQL's native logical replication in the same three-region mesh.
 * Each region's database holds one table per region (`counts_<region>`: a key, a counter, a
 * status, and `committed_at`, the source's clock_timestamp() at the write), publishes its own
 * and subscribes to the other two (copy_data = false). The same paced upserts as georep's bench
 * write the own table. On the subscriber, an ALWAYS-enabled row trigger (apply workers run with
 * session_replication_role = replica, so an ordinary trigger would not fire) records
 * clock_timestamp() − committed_at per applied row: one machine, one clock.
 *
 * committed_at is taken at the write, a moment before the commit, so native's lag also counts the
 * source's commit (its WAL flush, ~1 ms here) where georep's starts at the commit record's time:
 * if anything, this favours georep by about a commit.
 */
import pg from "pg";
import { createTestDatabase, readEndpoints, waitFor } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { busyBetween } from "./machine.ts";
import { machineCpu } from "./proc-cpu.ts";
import { drain, drainSeconds, keyOf, pacedWrites, writersFor } from "./lag-load.ts";
import { censoredQuantile, sortedQuantile } from "./lag-figures.ts";
import type { LagFigures } from "./lag-figures.ts";
import {
  DATABASE_PREFIX,
  dropStaleMeshes,
  dropSubscription,
  subscriptionName,
} from "./native-mesh-cleanup.ts";

const table = (region: string): string => `counts_${region.replaceAll("-", "_")}`;

/** Tables for every region, the lag samples, and the trigger that records them on remote rows. */
function schemaSql(regions: readonly string[], own: string): string {
  const tables = regions.map(
    (r) => `CREATE TABLE ${table(r)} (
      camera_id text NOT NULL, bucket timestamptz NOT NULL, people_in bigint NOT NULL DEFAULT 0,
      status text, committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      PRIMARY KEY (camera_id, bucket));`,
  );
  // Unlogged: the measurement should cost the apply worker as little as possible. Qualified:
  // apply workers run with an empty search_path.
  const samples = `CREATE UNLOGGED TABLE lag_samples (lag_seconds double precision NOT NULL);
    CREATE FUNCTION record_lag() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO public.lag_samples VALUES (extract(epoch FROM clock_timestamp() - NEW.committed_at));
      RETURN NULL;
    END $$;`;
  const triggers = regions
    .filter((r) => r !== own)
    .map(
      (r) => `CREATE TRIGGER record_lag AFTER INSERT OR UPDATE ON ${table(r)}
        FOR EACH ROW EXECUTE FUNCTION record_lag();
      ALTER TABLE ${table(r)} ENABLE ALWAYS TRIGGER record_lag;`,
    );
  return [...tables, samples, ...triggers, `CREATE PUBLICATION mesh FOR TABLE ${table(own)};`].join(
    "\n",
  );
}

const upsertSql = (own: string): string =>
  `INSERT INTO ${table(own)} (camera_id, bucket, people_in, status) VALUES ($1, '2026-11-22T10:00:00Z', 1, 'ok')
   ON CONFLICT (camera_id, bucket) DO UPDATE
   SET people_in = ${table(own)}.people_in + 1, committed_at = clock_timestamp()`;

const connInfo = (url: string): string => {
  const u = new URL(url);
  return `host=${u.hostname} port=${u.port} dbname=${u.pathname.slice(1)} user=${decodeURIComponent(u.username)}`;
};

async function samples(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM lag_samples");
  return rows[0]?.n ?? 0;
}

/** Native logical replication's lag at `rate` commits/s per region for `seconds`, three regions. */
export async function nativeMeshLag(rate: number, seconds: number): Promise<LagFigures> {
  const endpoints = readEndpoints();
  await dropStaleMeshes(endpoints, (m) => {
    console.warn(`  native mesh cleanup: ${m}`);
  });
  const regions = endpoints.regions.map((r) => r.id);
  const writers = writersFor(rate);
  const dbs: TestDatabase[] = [];
  const clients: pg.Client[] = [];
  const pools: pg.Pool[] = [];
  const subs: { client: pg.Client; name: string }[] = [];
  try {
    for (const region of regions) {
      const db = await createTestDatabase(region, DATABASE_PREFIX);
      dbs.push(db);
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      clients.push(c);
      await c.query(schemaSql(regions, region));
    }
    for (const [i, c] of clients.entries())
      for (const [j, publisher] of dbs.entries()) {
        if (i === j) continue;
        const name = subscriptionName(`${i}${j}`);
        subs.push({ client: c, name });
        await c.query(
          `CREATE SUBSCRIPTION ${name} CONNECTION '${connInfo(publisher.url)}' PUBLICATION mesh WITH (copy_data = false)`,
        );
      }
    await waitFor(
      async () => {
        for (const c of clients) {
          const { rows } = await c.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_subscription WHERE pid IS NOT NULL AND relid IS NULL",
          );
          if ((rows[0]?.n ?? 0) < regions.length - 1) return false;
        }
        return true;
      },
      { description: "every apply worker to start", timeoutMs: 60_000, intervalMs: 100 },
    );
    for (const db of dbs) {
      const pool = new pg.Pool({ connectionString: db.url, max: writers });
      pool.on("error", () => undefined); // idle clients terminated when the database is dropped
      pools.push(pool);
    }
    const write = (region: number, stopAt: number) =>
      pacedWrites(rate, writers, stopAt, (i) =>
        (pools[region] as pg.Pool).query(upsertSql(regions[region] ?? ""), [keyOf(region, i)]),
      );
    const arrived = async (): Promise<number> =>
      (await Promise.all(clients.map(samples))).reduce((a, b) => a + b, 0);
    const others = regions.length - 1;

    // Warm-up, as georep's: the apply workers' first changes flow before the window.
    const warm = await Promise.all(pools.map((_, i) => write(i, Date.now() + 3000)));
    const warmRows = warm.reduce((a, w) => a + w.sent, 0) * others;
    await drain(arrived, warmRows, 60, "the warm-up writes to be applied everywhere");
    for (const c of clients) await c.query("TRUNCATE lag_samples");

    const machine0 = machineCpu();
    const written = await Promise.all(pools.map((_, i) => write(i, Date.now() + seconds * 1000)));
    const expected = written.reduce((a, w) => a + w.sent, 0) * others;
    const drained = await drain(
      arrived,
      expected,
      drainSeconds(),
      "every write of the window to be applied in every other region",
    );
    const machine1 = machineCpu();
    const lags = (
      await Promise.all(
        clients.map(
          async (c) =>
            (await c.query<{ lag_seconds: number }>("SELECT lag_seconds FROM lag_samples")).rows,
        ),
      )
    )
      .flat()
      .map((r) => r.lag_seconds)
      .sort((a, b) => a - b);
    // Rows not applied when the wait ended waited at least as long as the wait.
    const missing = Math.max(0, expected - lags.length);
    const quantile = (q: number) =>
      censoredQuantile(q, lags.length, missing, (k) => sortedQuantile(lags, k), drained.waited);
    return {
      system: "native",
      rate,
      achieved: written.reduce((a, w) => a + w.sent / w.seconds, 0) / written.length,
      p50: quantile(0.5),
      p99: quantile(0.99),
      arrived: lags.length,
      expected,
      machineBusy: busyBetween(machine0, machine1),
    };
  } finally {
    // Subscriptions first: each drops its slot on the publisher, and a database with a
    // subscription cannot be dropped.
    for (const s of subs)
      await dropSubscription(s.client, s.name).catch((error: unknown) => {
        console.error(`  could not drop subscription ${s.name} (the next run drops it):`, error);
      });
    for (const p of pools) await p.end();
    for (const c of clients) await c.end();
    for (const d of dbs) await d.drop();
  }
}
