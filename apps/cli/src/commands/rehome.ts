import pg from "pg";
import { UsageError } from "@georep/command-line";
import { quoteIdent, stateLayout } from "@georep/schema";
import { audited } from "../audit.ts";
import { loadConfig } from "../config.ts";
import type { ReplicatorConfig } from "@georep/replicator";
import { progressBar } from "../output/progress.ts";
import type { ProgressBar } from "../output/progress.ts";
import { table } from "../output/table.ts";
import { pgClientConfig } from "@georep/replicator";

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
 * @throws UsageError for a region the config does not list, --from equal to --to, or a table
 *   whose home rule is not a column (prefix rules derive the home from the key).
 */
export async function rehome(
  configPath: string,
  from: string,
  to: string,
  options: { progress: boolean; batchSize?: number } = { progress: false },
): Promise<RehomeReport[]> {
  const batchSize = options.batchSize ?? 1000;
  const config = loadConfig(configPath);
  const ids = config.regions.map((r) => r.id);
  for (const region of [from, to]) {
    if (!ids.includes(region))
      throw new UsageError(
        `region '${region}' is not in the config's regions [${ids.join(", ")}]`,
        region === from ? "--from" : "--to",
      );
  }
  if (from === to)
    throw new UsageError("--from and --to name the same region; nothing to move", "--to");
  const client = new pg.Client({
    ...pgClientConfig(config.postgres, "admin"),
    application_name: "georep-rehome",
  });
  await client.connect();
  const bar = progressBar(" {table} [{bar}] {value}/{total} rows rehomed", options.progress);
  const action = {
    command: "rehome",
    flags: { config: configPath, from, to },
    regions: [{ region: config.region, db: client }],
    summary: (reports: readonly RehomeReport[]) =>
      reports.map((r) => `${r.table}: ${r.rows} rows moved`).join("; "),
  };
  try {
    return await audited(action, () => moveRows(client, config, from, to, batchSize, bar));
  } finally {
    bar.stop();
    await client.end();
  }
}

/** Moves the rows table by table, in batches of `batchSize`, one transaction each. */
async function moveRows(
  client: pg.Client,
  config: ReplicatorConfig,
  from: string,
  to: string,
  batchSize: number,
  bar: ProgressBar,
): Promise<RehomeReport[]> {
  const reports: RehomeReport[] = [];
  for (const spec of config.schema.tables) {
    const layout = stateLayout(spec);
    if (spec.home.kind !== "column") {
      throw new UsageError(
        `table ${spec.schema}.${spec.name} derives its home from '${spec.home.column}' by prefix; change the rule in its spec instead`,
      );
    }
    const home = quoteIdent(spec.home.column);
    const keys = layout.key.map((k) => quoteIdent(k.name)).join(", ");
    const name = `${spec.schema}.${spec.name}`;
    const homed = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${layout.userTable} WHERE ${home} = $1`,
      [from],
    );
    const total = homed.rows[0]?.n ?? 0;
    let rows = 0;
    for (;;) {
      const { rowCount } = await client.query(
        `UPDATE ${layout.userTable} SET ${home} = $2 WHERE (${keys}) IN (SELECT ${keys} FROM ${layout.userTable} WHERE ${home} = $1 LIMIT ${batchSize} FOR UPDATE)`,
        [from, to],
      );
      rows += rowCount ?? 0;
      // Services may home more rows there meanwhile: the bar's end moves with them.
      bar.update(name, rows, Math.max(total, rows), { table: name });
      if ((rowCount ?? 0) === 0) break;
    }
    bar.stop();
    reports.push({ table: name, from, to, rows });
  }
  return reports;
}

export function renderRehome(reports: readonly RehomeReport[]): string {
  return table(
    ["table", "from", "to", "rows moved"],
    reports.map((r) => [r.table, r.from, r.to, r.rows]),
  );
}
