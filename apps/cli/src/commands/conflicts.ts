import pg from "pg";
import { loadConfig } from "../config.ts";
import type { ConflictFlags } from "../flags.ts";
import { table } from "../output/table.ts";
import { pgClientConfig } from "@georep/replicator";

export interface ConflictEntry {
  readonly recordedAt: string;
  readonly table: string;
  readonly key: unknown;
  readonly column: string;
  readonly winner: {
    readonly value: string | null;
    readonly stamp: string;
    readonly region: string;
  };
  readonly loser: {
    readonly value: string | null;
    readonly stamp: string;
    readonly region: string;
  };
}

export interface ConflictReport {
  readonly region: string;
  readonly sinceMinutes: number;
  /** Conflicts per (table, column) over the window, whatever the limit. */
  readonly counts: Array<{ table: string; column: string; conflicts: number }>;
  /** The newest entries, at most `limit`. */
  readonly entries: ConflictEntry[];
}

/** `georep conflicts --config <file>`: the region's conflict ledger (register overwrites that lost a concurrent value). */
export async function conflicts(
  configPath: string,
  f: Pick<ConflictFlags, "sinceMinutes" | "table" | "limit">,
): Promise<ConflictReport> {
  const config = loadConfig(configPath);
  const client = new pg.Client(pgClientConfig(config.postgres, "admin"));
  await client.connect();
  try {
    const where = `recorded_at >= clock_timestamp() - make_interval(mins => $1::int)
      AND ($2::text IS NULL OR table_name = $2)`;
    const params = [Math.ceil(f.sinceMinutes), f.table ?? null];
    const counts = await client.query<{ table_name: string; column_name: string; n: number }>(
      `SELECT table_name, column_name, count(*)::int AS n FROM georep.conflicts
       WHERE ${where} GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`,
      params,
    );
    const rows = await client.query<{
      recorded_at: string;
      table_name: string;
      row_key: unknown;
      column_name: string;
      winner_value: string | null;
      winner_stamp: string;
      winner_region: string;
      loser_value: string | null;
      loser_stamp: string;
      loser_region: string;
    }>(
      `SELECT recorded_at::text, table_name, row_key, column_name, winner_value, winner_stamp::text,
              winner_region, loser_value, loser_stamp::text, loser_region
       FROM georep.conflicts WHERE ${where} ORDER BY recorded_at DESC, id DESC LIMIT $3`,
      [...params, f.limit],
    );
    return {
      region: config.region,
      sinceMinutes: f.sinceMinutes,
      counts: counts.rows.map((r) => ({
        table: r.table_name,
        column: r.column_name,
        conflicts: r.n,
      })),
      entries: rows.rows.map((r) => ({
        recordedAt: r.recorded_at,
        table: r.table_name,
        key: r.row_key,
        column: r.column_name,
        winner: { value: r.winner_value, stamp: r.winner_stamp, region: r.winner_region },
        loser: { value: r.loser_value, stamp: r.loser_stamp, region: r.loser_region },
      })),
    };
  } finally {
    await client.end();
  }
}

export function renderConflicts(report: ConflictReport): string {
  const window = `conflicts in ${report.region} over the last ${report.sinceMinutes} minutes`;
  if (report.counts.length === 0) return `${window}: none\n`;
  const counts = table(
    ["table", "column", "conflicts"],
    report.counts.map((c) => [c.table, c.column, c.conflicts]),
  );
  const side = (s: ConflictEntry["winner"]): string =>
    `${s.value ?? "null"} (${s.region}, stamp ${s.stamp})`;
  const entries = table(
    ["recorded at", "table", "key", "column", "winner", "loser"],
    report.entries.map((e) => [
      e.recordedAt,
      e.table,
      JSON.stringify(e.key),
      e.column,
      side(e.winner),
      side(e.loser),
    ]),
  );
  return `${window}\n${counts}\nnewest ${report.entries.length}:\n${entries}`;
}
