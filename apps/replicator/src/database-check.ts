import pg from "pg";
import { ConfigError } from "./config.ts";
import type { ReplicatorConfig } from "./config.ts";

/** The region a database was installed for, or undefined when georep is not installed there. */
async function regionOf(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ region: string | null }>(
      `SELECT CASE WHEN to_regclass('georep.settings') IS NULL THEN NULL
              ELSE (SELECT value FROM georep.settings WHERE key = 'region') END AS region`,
    );
    return rows[0]?.region ?? undefined;
  } finally {
    await client.end();
  }
}

/**
 * Refuses, before anything is written, a config whose database belongs to another region, or a
 * peer whose database is not that peer's: writing under the wrong region id, or repairing from
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
    if (theirs !== peer.region)
      throw new ConfigError(
        `replicator config: peers[${i}].postgres.url is ${theirs === undefined ? "not a georep database" : `region '${theirs}''s database`}, not '${peer.region}''s; point it at '${peer.region}''s database`,
        `peers.${i}.postgres.url`,
      );
  }
}
