/**
 * The native mesh leaves nothing behind: its subscriptions are named `nmesh_<epoch ms,
 * base 36>_…`, and a run that was interrupted (Ctrl-C, a crash) has its subscriptions, slots and
 * databases dropped by the next run once they are older than any run could be. A leftover slot
 * would hold WAL on the shared clusters for ever.
 */
import pg from "pg";
import type { Endpoints } from "@georep/testkit";

export const SUBSCRIPTION_PREFIX = "nmesh_";
export const DATABASE_PREFIX = "bench_native_mesh";
/** Older than this, a mesh is an interrupted run's (a run at one rate takes about a minute). */
const STALE_MS = 30 * 60_000;

/** A subscription (and slot) name for this run: prefix, creation time, then `suffix`. */
export const subscriptionName = (suffix: string): string =>
  `${SUBSCRIPTION_PREFIX}${Date.now().toString(36)}_${process.pid.toString(36)}_${suffix}`;

/** Creation time (epoch ms) of one of our subscriptions or slots; undefined for any other name. */
export function createdAt(name: string): number | undefined {
  const m = /^nmesh_([0-9a-z]+)_/.exec(name);
  return m?.[1] === undefined ? undefined : parseInt(m[1], 36);
}

/** Creation time of a database `uniqueName(DATABASE_PREFIX)` made: `<prefix>_<pid>_<time>_<n>`. */
export function databaseCreatedAt(name: string): number | undefined {
  const m = new RegExp(`^${DATABASE_PREFIX}_[0-9a-z]+_([0-9a-z]+)_[0-9a-z]+$`).exec(name);
  return m?.[1] === undefined ? undefined : parseInt(m[1], 36);
}

const stale = (at: number | undefined, now: number): boolean =>
  at !== undefined && now - at > STALE_MS;

async function withClient<T>(url: string, use: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await use(c);
  } finally {
    await c.end();
  }
}

const inDatabase = (serverUrl: string, database: string): string => {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

/**
 * Drops a subscription and its slot on the publisher; when the publisher cannot be reached,
 * detaches the slot first (the publisher's database drop, or `dropStaleMeshes`, removes it).
 */
export async function dropSubscription(client: pg.Client, name: string): Promise<void> {
  try {
    await client.query(`DROP SUBSCRIPTION IF EXISTS ${name}`);
  } catch {
    await client.query(`ALTER SUBSCRIPTION ${name} DISABLE`).catch(() => undefined);
    await client.query(`ALTER SUBSCRIPTION ${name} SET (slot_name = NONE)`);
    await client.query(`DROP SUBSCRIPTION IF EXISTS ${name}`);
  }
}

/**
 * Drops interrupted runs' subscriptions, then their slots and databases, on every cluster. A drop
 * that fails is reported through `warn` and skipped: it must not stop this run.
 */
export async function dropStaleMeshes(
  endpoints: Endpoints,
  warn: (message: string) => void,
  now = Date.now(),
): Promise<void> {
  const attempt = (what: string, p: Promise<unknown>): Promise<unknown> =>
    p.catch((error: unknown) => {
      warn(`could not drop ${what}: ${error instanceof Error ? error.message : String(error)}`);
    });
  for (const region of endpoints.regions) {
    const subs = await withClient(region.pgUrl, async (c) =>
      (
        await c.query<{ subname: string; datname: string }>(
          "SELECT s.subname, d.datname FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE starts_with(s.subname, $1)",
          [SUBSCRIPTION_PREFIX],
        )
      ).rows.filter((r) => stale(createdAt(r.subname), now)),
    );
    for (const s of subs)
      await attempt(
        `stale subscription ${s.subname}`,
        withClient(inDatabase(region.pgUrl, s.datname), (c) => dropSubscription(c, s.subname)),
      );
  }
  for (const region of endpoints.regions)
    await withClient(region.pgUrl, async (c) => {
      const slots = await c.query<{ slot_name: string }>(
        "SELECT slot_name FROM pg_replication_slots WHERE starts_with(slot_name, $1) AND NOT active",
        [SUBSCRIPTION_PREFIX],
      );
      for (const { slot_name } of slots.rows)
        if (stale(createdAt(slot_name), now))
          await attempt(
            `stale slot ${slot_name}`,
            c.query("SELECT pg_drop_replication_slot($1)", [slot_name]),
          );
      const dbs = await c.query<{ datname: string }>(
        "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
        [DATABASE_PREFIX],
      );
      for (const { datname } of dbs.rows)
        if (stale(databaseCreatedAt(datname), now))
          await attempt(
            `stale database ${datname}`,
            c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`),
          );
    });
}
