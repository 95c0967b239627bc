import pg from "pg";
import { z } from "zod";
import { loadReplicatorConfig } from "@georep/replicator";
import { CliUsageError } from "../errors.ts";

/** Flags of `georep conflicts`, validated before any connection is made. */
const flagsSchema = z.object({
  sinceMinutes: z.coerce
    .number({ message: "must be a number of minutes, e.g. --since-minutes 60" })
    .positive({ message: "must be above 0, e.g. --since-minutes 60" })
    .default(24 * 60),
  table: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/, {
      message: "must be schema.table, e.g. --table public.counting_results",
    })
    .optional(),
  limit: z.coerce
    .number({ message: "must be a whole number, e.g. --limit 100" })
    .int({ message: "must be a whole number, e.g. --limit 100" })
    .min(1, { message: "must be between 1 and 10000" })
    .max(10_000, { message: "must be between 1 and 10000" })
    .default(100),
});

export type ConflictFlags = z.input<typeof flagsSchema>;

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

const FLAG_NAMES: Record<string, string> = {
  sinceMinutes: "--since-minutes",
  table: "--table",
  limit: "--limit",
};

function parseFlags(flags: ConflictFlags): z.output<typeof flagsSchema> {
  const parsed = flagsSchema.safeParse(flags);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const flag = FLAG_NAMES[String(issue?.path[0])] ?? String(issue?.path[0]);
  throw new CliUsageError(`${flag} ${issue?.message ?? "is invalid"}`, flag, {
    cause: parsed.error,
  });
}

/** `georep conflicts --config <file>`: the region's conflict ledger (register overwrites that lost a concurrent value). */
export async function conflicts(configPath: string, flags: ConflictFlags): Promise<ConflictReport> {
  const f = parseFlags(flags);
  const config = loadReplicatorConfig(configPath);
  const client = new pg.Client({ connectionString: config.postgres.url });
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
