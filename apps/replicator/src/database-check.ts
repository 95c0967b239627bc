import pg from "pg";
import { ConfigError } from "./config.ts";
import type { ReplicatorConfig } from "./config.ts";

/** The region a database was installed for, or undefined when georep is not installed there. */
async function regionOf(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url });
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
 * Refuses, before anything is written, a config whose database belongs to another region, or a
 * peer whose database belongs to a region other than that peer: writing under the wrong region id, or repairing from
 * the wrong database, would mix two regions' components.
 * @throws ConfigError naming the field and the fix.
 */
export async function checkDatabases(config: ReplicatorConfig): Promise<void> {
  const own = await regionOf(config.postgres.url);
  if (own !== undefined && own !== config.region)
    throw new ConfigError(
      `replicator config: postgres.url is region '${own}''s database, not '${config.region}''s; point postgres.url at '${config.region}''s database (or set region to '${own}')`,
      "postgres.url",
    );
  for (const [i, peer] of config.peers.entries()) {
    const theirs = await regionOf(peer.postgres.url);
    // A peer not installed yet is fine (a deployment starts region by region); another
    // region's database is not.
    if (theirs !== undefined && theirs !== peer.region)
      throw new ConfigError(
        `replicator config: peers[${i}].postgres.url is region '${theirs}''s database, not '${peer.region}''s; point it at '${peer.region}''s database`,
        `peers.${i}.postgres.url`,
      );
  }
}
