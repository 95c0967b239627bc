import pg from "pg";
import { pgClientConfig } from "@georep/replicator";
import { AuditError } from "../audit.ts";
import { loadConfig } from "../config.ts";
import type { AuditFlags } from "../flags.ts";
import { table } from "../output/table.ts";

export interface AuditEntry {
  readonly id: string;
  /** ISO time, UTC, as the region's database stamped it. */
  readonly at: string;
  /** One invocation's id: its 'started' and end rows, in every region it acted on. */
  readonly run: string;
  /** OS user@host of the CLI, "as" the PostgreSQL session_user that wrote the row. */
  readonly actor: string;
  readonly command: string;
  /** The flags as given, secrets redacted. */
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly region: string;
  readonly outcome: "started" | "ok" | "failed";
  readonly detail: string | null;
}

export interface AuditReport {
  readonly region: string;
  readonly entries: readonly AuditEntry[];
}

/**
 * `georep audit --config <file>`: the region's audit trail, newest first.
 * @throws AuditError when the database has no audit table yet (migration 9).
 */
export async function auditList(f: AuditFlags): Promise<AuditReport> {
  const config = loadConfig(f.config);
  const client = new pg.Client(pgClientConfig(config.postgres, "admin"));
  await client.connect();
  try {
    const { rows: found } = await client.query<{ found: boolean }>(
      "SELECT to_regclass('georep.audit') IS NOT NULL AS found",
    );
    if (found[0]?.found !== true)
      throw new AuditError(
        `region '${config.region}' has no audit trail yet: run georep schema apply --config ${f.config} (migration 9)`,
        config.region,
      );
    const since = f.since;
    const { rows } = await client.query<AuditEntry>(
      `SELECT a.id::text, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
              run::text, actor, command, arguments, region, outcome, detail
       FROM georep.audit a
       WHERE a.at >= coalesce($1::timestamptz, clock_timestamp() - make_interval(secs => $2), '-infinity')
         AND ($3::text IS NULL OR command = $3 OR command LIKE $3 || ' %')
       ORDER BY a.at DESC, a.id DESC LIMIT $4`,
      [
        since !== undefined && "at" in since ? since.at : null,
        since !== undefined && "secondsAgo" in since ? since.secondsAgo : null,
        f.command ?? null,
        f.limit,
      ],
    );
    return { region: config.region, entries: rows };
  } finally {
    await client.end();
  }
}

/**
 * `{ config: ["a.json", "b.json"], drainSeconds: 120 }` as `--drain-seconds 120 --config a.json
 * b.json`: by name (jsonb keeps no order), the long config paths last.
 */
function flagsText(flags: Readonly<Record<string, unknown>>): string {
  const rank = (k: string): string => (k === "config" ? `~${k}` : k);
  return Object.entries(flags)
    .filter(([, v]) => v !== undefined && v !== null)
    .sort(([a], [b]) => rank(a).localeCompare(rank(b)))
    .map(([k, v]) => {
      const flag = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      return `${flag} ${Array.isArray(v) ? v.map(String).join(" ") : String(v)}`;
    })
    .join(" ");
}

export function renderAudit(report: AuditReport): string {
  if (report.entries.length === 0) return `audit trail of ${report.region}: no entries\n`;
  const rows = report.entries.map((e) => [
    e.at,
    e.run.slice(0, 8),
    e.command,
    e.outcome,
    e.actor,
    flagsText(e.arguments),
    (e.detail ?? "").slice(0, 120),
  ]);
  return `audit trail of ${report.region}, newest first: ${report.entries.length} row(s)\n${table(
    ["at", "run", "command", "outcome", "actor", "flags", "detail"],
    rows,
  )}`;
}
