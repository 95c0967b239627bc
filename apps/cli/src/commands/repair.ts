import pg from "pg";
import { UsageError } from "@georep/command-line";
import { listUnrepairedGaps, markGapsRepaired } from "@georep/merger";
import { silentLogger, systemClock } from "@georep/observability";
import type { ReplicatorConfig } from "@georep/replicator";
import { repairRegion } from "@georep/repair";
import type { RepairProgress, RepairReport } from "@georep/repair";
import { currentIncarnation, markRepaired, stateLayout } from "@georep/schema";
import { verifyRegions } from "@georep/verify";
import { audited } from "../audit.ts";
import { loadRegionConfigs } from "../config.ts";
import { progressBar } from "../output/progress.ts";
import { table } from "../output/table.ts";
import { pgClientConfig } from "@georep/replicator";

export interface RepairCommandReport {
  readonly repaired: readonly RepairReport[];
  /** Whether the regions' rows were identical right after the repair (writes may go on). */
  readonly identical: boolean;
  readonly seconds: number;
}

export interface RepairOptions {
  readonly region?: string;
  readonly buckets?: number;
  /** A progress bar on stderr (a terminal, without --json). */
  readonly progress: boolean;
}

/**
 * `georep repair --config a.json --config b.json …`: brings every region (or only --region) the
 * CRDT state its peers hold and it lacks: digests by key range, then every origin's and every
 * incarnation's state rows of the ranges that differ, merged idempotently. No winner is chosen:
 * merges are joins. Safe while replication runs; re-running resumes (repaired ranges compare equal).
 * @throws UsageError for fewer than two regions, a region given twice or an unknown --region.
 */
export async function repair(
  configPaths: readonly string[],
  flags: RepairOptions,
): Promise<RepairCommandReport> {
  const configs = loadRegionConfigs(configPaths);
  const regions = configs.map((c) => c.region);
  if (flags.region !== undefined && !regions.includes(flags.region))
    throw new UsageError(
      `--region '${flags.region}' has no --config (${regions.join(", ")}); add its config or pick one of these`,
      "--region",
    );
  const started = Date.now();
  const pools = new Map(
    configs.map((c) => [c.region, new pg.Pool({ ...pgClientConfig(c.postgres, "admin"), max: 2 })]),
  );
  const pool = (c: ReplicatorConfig): pg.Pool => pools.get(c.region) as pg.Pool;
  const bar = progressBar(
    " {target} ← {source} {table} [{bar}] {value}/{total} rows",
    flags.progress,
  );
  const targets = configs.filter((c) => flags.region === undefined || c.region === flags.region);
  // Recorded in every region it repairs (writes to); the sources are only read.
  const action = {
    command: "repair",
    flags: { config: configPaths, region: flags.region, buckets: flags.buckets },
    regions: targets.map((c) => ({ region: c.region, db: pool(c) })),
    summary: (r: RepairCommandReport) =>
      `${r.repaired.map((t) => `${t.target}: ${t.rowsMerged} state rows merged`).join("; ")}; ${r.identical ? "identical" : "still differ"}`,
  };
  try {
    return await audited(action, async () => {
      const layouts = (configs[0] as ReplicatorConfig).schema.tables.map(stateLayout);
      const repaired: RepairReport[] = [];
      for (const target of targets) {
        const incarnation = await currentIncarnation(pool(target));
        const replica = incarnation?.replica ?? target.region;
        // Listed before the repair reads the sources, so each gap's records predate what it reads.
        const gaps = await listUnrepairedGaps(pool(target));
        const sources = configs.filter((c) => c !== target);
        // A source with nothing that differs has total 0: no bar is drawn for it.
        const onProgress = (p: RepairProgress): void => {
          const payload = { target: target.region, source: p.source, table: p.table };
          bar.update(`${target.region}|${p.source}|${p.table}`, p.merged, p.total, payload);
        };
        const report = await repairRegion({
          target: {
            region: target.region,
            zone: target.regions.find((r) => r.id === target.region)?.zone,
            pool: pool(target),
            replica,
          },
          sources: sources.map((c) => ({ region: c.region, pool: pool(c) })),
          layouts,
          logger: silentLogger(),
          clock: systemClock,
          ...(flags.buckets === undefined ? {} : { buckets: flags.buckets }),
          onProgress,
        });
        bar.stop();
        // Every peer was a source: the incarnation got back whatever they held of its predecessors.
        if (
          incarnation !== undefined &&
          incarnation.repairedAt === null &&
          configs.length === target.regions.length
        )
          await markRepaired(pool(target), incarnation.replica);
        // A gap (records Kafka deleted before the target read them) is repaired once its origin
        // was a source: that region's state holds every change the records carried.
        await markGapsRepaired(
          pool(target),
          gaps.filter((g) => sources.some((c) => c.region === g.origin)),
        );
        repaired.push(report);
      }
      const check = await verifyRegions(
        configs.map((c) => ({ region: c.region, pool: pool(c) })),
        layouts,
        { maxDifferences: 0 },
      );
      return { repaired, identical: check.identical, seconds: (Date.now() - started) / 1000 };
    });
  } finally {
    bar.stop();
    await Promise.all([...pools.values()].map((p) => p.end()));
  }
}

export function renderRepair(report: RepairCommandReport): string {
  const rows = report.repaired.flatMap((r) =>
    r.tables.map((t) => [
      r.target,
      t.source,
      t.table,
      `${t.differingRanges}/${t.ranges}`,
      t.rowsMerged,
      t.stateRowsChanged,
    ]),
  );
  const detail = table(
    ["region", "from", "table", "ranges differing", "state rows merged", "changed"],
    rows,
  );
  const outcome = report.identical
    ? "regions identical"
    : "regions still differ (writes in flight, or run it again)";
  return `${detail}\n${outcome} after ${report.seconds.toFixed(1)} s\n`;
}
