import pg from "pg";
import { pgConnection } from "@georep/schema";
import type { Logger } from "@georep/observability";
import { ConfigError } from "./config.ts";
import type { ReplicatorConfig } from "./config.ts";
import { pgLogin } from "./postgres-config.ts";
import type { PgLogin, PostgresConfig } from "./postgres-config.ts";

/** The region a database was installed for, or undefined when georep is not installed there. */
async function regionOf(login: PgLogin): Promise<string | undefined> {
  const client = new pg.Client({
    ...pgConnection(login.url, login.password),
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    // Two statements: a statement naming a missing table fails at parse time, whatever its CASE.
    const installed = await client.query<{ ok: boolean }>(
      "SELECT to_regclass('georep.settings') IS NOT NULL AS ok",
    );
    if (installed.rows[0]?.ok !== true) return undefined;
    const { rows } = await client.query<{ region: string }>(
      "SELECT value AS region FROM georep.settings WHERE key = 'region'",
    );
    return rows[0]?.region;
  } finally {
    await client.end();
  }
}

/**
 * Refuses a database of another region before it is used for repair.
 * @throws ConfigError naming the field and the fix.
 */
export async function checkPeer(
  peer: { readonly region: string; readonly postgres: PostgresConfig },
  field: string,
): Promise<void> {
  const theirs = await regionOf(pgLogin(peer.postgres, "admin"));
  if (theirs !== undefined && theirs !== peer.region)
    throw new ConfigError(
      `replicator config: ${field} is region '${theirs}''s database, not '${peer.region}''s; point it at '${peer.region}''s database`,
      field,
    );
}

/**
 * Refuses, before anything is written, a config whose database belongs to another region, or a
 * peer whose database belongs to a region other than that peer: writing under the wrong region id, or repairing from
 * the wrong database, would mix two regions' components.
 * @throws ConfigError naming the field and the fix.
 */
export async function checkDatabases(config: ReplicatorConfig, log: Logger): Promise<void> {
  const own = await regionOf(pgLogin(config.postgres, "capture"));
  if (own !== undefined && own !== config.region)
    throw new ConfigError(
      `replicator config: postgres.url is region '${own}''s database, not '${config.region}''s; point postgres.url at '${config.region}''s database (or set region to '${own}')`,
      "postgres.url",
    );
  for (const [i, peer] of config.peers.entries()) {
    try {
      await checkPeer(peer, `peers.${i}.postgres.url`);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      // A peer that is down must not keep this region down: repair checks it again before use.
      log.warn(
        { err: error, peer: peer.region },
        "peer database unreachable at start; repair will check it again before using it",
      );
    }
  }
}
