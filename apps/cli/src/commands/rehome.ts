import pg from "pg";
import { quoteIdent, stateLayout } from "@georep/schema";
import { loadReplicatorConfig } from "@georep/replicator";
import { CliUsageError } from "../errors.ts";

export interface RehomeReport {
  readonly table: string;
  readonly from: string;
  readonly to: string;
  readonly rows: number;
}

/**
 * `georep rehome --config <file> --from <lost region> --to <region>`: moves every row homed in
 * one region to another, in this region's database, as ordinary local writes of the home
 * column. The capture trigger stamps each above everything the key has seen, so the move wins
 * over any older home everywhere once replicated; with `home-wins` the new home's later writes
 * then outrank the old region's. Runs in batches (one transaction each) so it never holds many
 * row locks at once; it waits for rows that services are writing rather than skipping them.
 * @throws Error when a table's home rule is not a column (prefix rules derive the home from the key).
 */
export async function rehome(
  configPath: string,
  from: string,
  to: string,
  batchSize = 1000,
): Promise<RehomeReport[]> {
  const config = loadReplicatorConfig(configPath);
  const ids = config.regions.map((r) => r.id);
  for (const region of [from, to]) {
    if (!ids.includes(region))
      throw new CliUsageError(
        `region '${region}' is not in the config's regions [${ids.join(", ")}]`,
        region === from ? "--from" : "--to",
      );
  }
  if (from === to)
    throw new CliUsageError("--from and --to name the same region; nothing to move", "--to");
  const client = new pg.Client({
    connectionString: config.postgres.url,
    application_name: "georep-rehome",
  });
  await client.connect();
  try {
    const reports: RehomeReport[] = [];
    for (const spec of config.schema.tables) {
      const layout = stateLayout(spec);
      if (spec.home.kind !== "column") {
        throw new CliUsageError(
          `table ${spec.schema}.${spec.name} derives its home from '${spec.home.column}' by prefix; change the rule in its spec instead`,
        );
      }
      const home = quoteIdent(spec.home.column);
      const keys = layout.key.map((k) => quoteIdent(k.name)).join(", ");
      let rows = 0;
      for (;;) {
        const { rowCount } = await client.query(
          `UPDATE ${layout.userTable} SET ${home} = $2 WHERE (${keys}) IN (SELECT ${keys} FROM ${layout.userTable} WHERE ${home} = $1 LIMIT ${batchSize} FOR UPDATE)`,
          [from, to],
        );
        rows += rowCount ?? 0;
        if ((rowCount ?? 0) === 0) break;
      }
      reports.push({ table: `${spec.schema}.${spec.name}`, from, to, rows });
    }
    return reports;
  } finally {
    await client.end();
  }
}
