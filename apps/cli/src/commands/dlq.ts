import pg from "pg";
import { createMergeTransaction, listQuarantine, replayQuarantine } from "@georep/merger";
import type { QuarantineEntry } from "@georep/merger";
import { silentLogger } from "@georep/observability";
import type { ReplicatorConfig } from "@georep/replicator";
import { stateLayout } from "@georep/schema";
import { audited } from "../audit.ts";
import { loadConfig } from "../config.ts";
import type { DlqListFlags, DlqReplayFlags } from "../flags.ts";
import { table } from "../output/table.ts";
import { pgClientConfig } from "@georep/replicator";

export interface DlqListReport {
  readonly region: string;
  readonly entries: readonly QuarantineEntry[];
}

export interface DlqReplayReport {
  readonly region: string;
  readonly merged: number;
  /** Rows still refused, with why. */
  readonly kept: readonly QuarantineEntry[];
}

async function withRegion<T>(
  configPath: string,
  work: (client: pg.Client, config: ReturnType<typeof loadConfig>) => Promise<T>,
): Promise<T> {
  const config = loadConfig(configPath);
  const client = new pg.Client(pgClientConfig(config.postgres, "admin"));
  await client.connect();
  try {
    return await work(client, config);
  } finally {
    await client.end();
  }
}

/** `georep dlq list`: the rows this region set aside instead of merging, oldest first. */
export function dlqList(f: DlqListFlags): Promise<DlqListReport> {
  return withRegion(f.config, async (client, config) => ({
    region: config.region,
    entries: await listQuarantine(client, { reason: f.reason, ids: f.id, limit: f.limit }),
  }));
}

/**
 * `georep dlq replay`: merges set-aside rows again (all, by reason, or by id). Merged rows leave
 * the quarantine; replaying twice merges nothing more (merging is idempotent).
 */
export function dlqReplay(f: DlqReplayFlags): Promise<DlqReplayReport> {
  return withRegion(f.config, (client, config) => {
    const action = {
      command: "dlq replay",
      flags: { config: f.config, reason: f.reason, id: f.id, limit: f.limit },
      regions: [{ region: config.region, db: client }],
      summary: (r: DlqReplayReport) => `${r.merged} merged, ${r.kept.length} still set aside`,
    };
    return audited(action, () => replay(client, config, f));
  });
}

async function replay(
  client: pg.Client,
  config: ReplicatorConfig,
  f: DlqReplayFlags,
): Promise<DlqReplayReport> {
  const outcome = await replayQuarantine(client, {
    reason: f.reason,
    ids: f.id,
    limit: f.limit,
    mergeTransaction: createMergeTransaction({
      tables: config.schema.tables,
      logger: silentLogger(),
      lockTimeoutMs: config.merge.lockTimeoutMs,
    }),
    layouts: new Map(config.schema.tables.map((t) => [`${t.schema}.${t.name}`, stateLayout(t)])),
    nowMs: Date.now(),
    maxForwardSkewMs: config.merge.maxForwardSkewMs,
  });
  return { region: config.region, ...outcome };
}

const entryTable = (entries: readonly QuarantineEntry[]): string =>
  table(
    ["id", "set aside at", "row", "origin", "reason", "sqlstate", "attempts", "detail"],
    entries.map((e) => [
      e.id,
      e.quarantinedAt,
      e.rowKey,
      e.origin,
      e.reason,
      e.sqlState ?? "",
      e.attempts,
      e.detail.slice(0, 120),
    ]),
  );

export function renderDlqList(report: DlqListReport): string {
  if (report.entries.length === 0) return `quarantine of ${report.region}: empty\n`;
  return `quarantine of ${report.region}: ${report.entries.length} row(s)\n${entryTable(report.entries)}`;
}

export function renderDlqReplay(report: DlqReplayReport): string {
  const head = `replay in ${report.region}: ${report.merged} merged, ${report.kept.length} still set aside\n`;
  return report.kept.length === 0 ? head : `${head}${entryTable(report.kept)}`;
}
