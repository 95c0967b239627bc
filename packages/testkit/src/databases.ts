import pg from "pg";
import { readEndpoints, regionEndpoint } from "./endpoints.ts";
import { securePgUrl } from "./secure-endpoints.ts";
import type { SecureEndpoints } from "./secure-endpoints.ts";
import { uniqueName } from "./unique-name.ts";
import { waitFor } from "./wait-for.ts";

export interface TestDatabase {
  readonly regionId: string;
  readonly name: string;
  /** Connection URL of the new database (superuser `postgres`; on the secure stack with its password). */
  readonly url: string;
  /** Drops the database, first dropping any replication slot left on it and its sessions. */
  drop(): Promise<void>;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onServer<T>(serverUrl: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function dropSlotsOf(client: pg.Client, database: string): Promise<void> {
  await client.query(
    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL",
    [database],
  );
  await waitFor(
    async () => {
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_replication_slots WHERE database = $1 AND active",
        [database],
      );
      return rows[0]?.n === 0;
    },
    { description: `replication slots on ${database} to become inactive`, timeoutMs: 10_000 },
  );
  await client.query(
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1",
    [database],
  );
}

/**
 * Waits (at most 2 s) for the database's sessions to go on their own. pg's Pool.end() resolves
 * before its backends have exited; a FORCE drop in that instant sends them a FATAL 57P01 that the
 * already-released client raises as an uncaught error. Sessions still there after 2 s are
 * FORCE-dropped anyway.
 */
async function letClosingSessionsGo(client: pg.Client, database: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline) {
    const { rows } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1",
      [database],
    );
    if (rows[0]?.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface TestDatabaseOptions {
  /** An ICU locale for the database's default collation (e.g. `en-US`), instead of the cluster's. */
  readonly icuLocale?: string;
}

/**
 * Creates a fresh database on a region's cluster, named from `prefix` by `uniqueName()`.
 * @throws Error when the region is unknown or the stack is down (run `pnpm stack up`).
 */
export async function createTestDatabase(
  regionId: string,
  prefix: string,
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  return createDatabaseOn(
    regionEndpoint(readEndpoints(), regionId).pgUrl,
    regionId,
    prefix,
    options,
  );
}

/**
 * The same on a region of the secure stack, as its admin over verify-full TLS.
 * @throws Error when the region is unknown, a secret is unreadable or the secure stack is down.
 */
export async function createSecureTestDatabase(
  endpoints: SecureEndpoints,
  regionId: string,
  prefix: string,
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  return createDatabaseOn(securePgUrl(endpoints, regionId), regionId, prefix, options);
}

async function createDatabaseOn(
  serverUrl: string,
  regionId: string,
  prefix: string,
  options: TestDatabaseOptions,
): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const locale =
    options.icuLocale === undefined
      ? ""
      : ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${options.icuLocale.replace(/'/g, "''")}'`;
  await onServer(serverUrl, (client) => client.query(`CREATE DATABASE ${name}${locale}`));
  return {
    regionId,
    name,
    url: withDatabase(serverUrl, name),
    drop: () =>
      onServer(serverUrl, async (client) => {
        await dropSlotsOf(client, name);
        await letClosingSessionsGo(client, name);
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}
