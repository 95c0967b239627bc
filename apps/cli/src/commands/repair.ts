import cliProgress from "cli-progress";
import pg from "pg";
import { silentLogger, systemClock } from "@georep/observability";
import { loadReplicatorConfig } from "@georep/replicator";
import type { ReplicatorConfig } from "@georep/replicator";
import { repairRegion } from "@georep/repair";
import type { RepairProgress, RepairReport } from "@georep/repair";
import { currentIncarnation, markRepaired, stateLayout } from "@georep/schema";
import { verifyRegions } from "@georep/verify";
import { CliUsageError } from "../errors.ts";

export interface RepairCommandReport {
  readonly repaired: readonly RepairReport[];
  /** Whether the regions' rows were identical right after the repair (writes may go on). */
  readonly identical: boolean;
  readonly seconds: number;
}

export interface RepairFlags {
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
 * @throws CliUsageError for fewer than two regions, a region given twice or an unknown --region.
 */
export async function repair(
  configPaths: readonly string[],
  flags: RepairFlags,
): Promise<RepairCommandReport> {
  const configs = configPaths.map(loadReplicatorConfig);
  const regions = configs.map((c) => c.region);
  if (configs.length < 2)
    throw new CliUsageError("repair needs a --config file per region, at least two", "--config");
  if (new Set(regions).size !== regions.length)
    throw new CliUsageError(
      `two --config files are for the same region (${regions.join(", ")}); give one per region`,
      "--config",
    );
  if (flags.region !== undefined && !regions.includes(flags.region))
    throw new CliUsageError(
      `--region '${flags.region}' has no --config (${regions.join(", ")}); add its config or pick one of these`,
      "--region",
    );
  const started = Date.now();
  const pools = new Map(
    configs.map((c) => [c.region, new pg.Pool({ connectionString: c.postgres.url, max: 2 })]),
  );
  const pool = (c: ReplicatorConfig): pg.Pool => pools.get(c.region) as pg.Pool;
  const bar = flags.progress
    ? new cliProgress.SingleBar(
        { format: " {target} ← {source} {table} [{bar}] {value}/{total} rows", hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  try {
    const layouts = (configs[0] as ReplicatorConfig).schema.tables.map(stateLayout);
    const repaired: RepairReport[] = [];
    for (const target of configs.filter(
      (c) => flags.region === undefined || c.region === flags.region,
    )) {
      const incarnation = await currentIncarnation(pool(target));
      const replica = incarnation?.replica ?? target.region;
      let shown: string | undefined;
      const onProgress = (p: RepairProgress): void => {
        // Nothing differs from this source: no bar to draw.
        if (bar === undefined || p.total === 0) return;
        const stage = `${p.source}|${p.table}`;
        const payload = { target: target.region, source: p.source, table: p.table };
        if (shown !== stage) {
          if (shown !== undefined) bar.stop();
          bar.start(p.total, p.merged, payload);
          shown = stage;
        } else bar.update(p.merged, payload);
      };
      const report = await repairRegion({
        target: {
          region: target.region,
          zone: target.regions.find((r) => r.id === target.region)?.zone,
          pool: pool(target),
          replica,
        },
        sources: configs
          .filter((c) => c !== target)
          .map((c) => ({ region: c.region, pool: pool(c) })),
        layouts,
        logger: silentLogger(),
        clock: systemClock,
        ...(flags.buckets === undefined ? {} : { buckets: flags.buckets }),
        onProgress,
      });
      if (shown !== undefined) bar?.stop();
      // Every peer was a source: the incarnation got back whatever they held of its predecessors.
      if (
        incarnation !== undefined &&
        incarnation.repairedAt === null &&
        configs.length === target.regions.length
      )
        await markRepaired(pool(target), incarnation.replica);
      repaired.push(report);
    }
    const check = await verifyRegions(
      configs.map((c) => ({ region: c.region, pool: pool(c) })),
      layouts,
      { maxDifferences: 0 },
    );
    return { repaired, identical: check.identical, seconds: (Date.now() - started) / 1000 };
  } finally {
    bar?.stop();
    await Promise.all([...pools.values()].map((p) => p.end()));
  }
}
