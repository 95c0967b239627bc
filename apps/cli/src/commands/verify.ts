import pg from "pg";
import { stateLayout } from "@georep/schema";
import { verifyRegions } from "@georep/verify";
import type { VerifyReport } from "@georep/verify";
import { loadRegionConfigs } from "../config.ts";
import { progressBar } from "../output/progress.ts";
import { table } from "../output/table.ts";
import { pgClientConfig } from "@georep/replicator";

/**
 * `georep verify --config a.json b.json …`: are the regions identical?
 * @throws UsageError for fewer than two configs or a region given twice.
 */
export async function verify(
  configPaths: readonly string[],
  options: { progress: boolean } = { progress: false },
): Promise<VerifyReport> {
  const configs = loadRegionConfigs(configPaths);
  const layouts = (configs[0]?.schema.tables ?? []).map(stateLayout);
  const pools = configs.map((c) => ({
    region: c.region,
    pool: new pg.Pool({ ...pgClientConfig(c.postgres, "admin"), max: 2 }),
  }));
  const bar = progressBar(" verify {table} [{bar}] {value}/{total} steps", options.progress);
  try {
    return await verifyRegions(pools, layouts, {
      onProgress: (p) => {
        bar.update("verify", p.done, p.total, { table: p.table });
      },
    });
  } finally {
    bar.stop();
    await Promise.all(pools.map((p) => p.pool.end()));
  }
}

export function renderVerify(report: VerifyReport): string {
  const regions = Object.keys(report.tables[0]?.rows ?? {});
  const tables = table(
    ["table", ...regions.map((r) => `rows ${r}`), "ranges differing"],
    report.tables.map((t) => [
      t.table,
      ...regions.map((r) => t.rows[r]),
      t.mismatchedRanges.length,
    ]),
  );
  if (report.identical) return `${tables}\nregions identical\n`;
  const differences = table(
    ["table", "key", ...regions],
    report.differences.map((d) => [d.table, d.key, ...regions.map((r) => d.rows[r] ?? "(absent)")]),
  );
  return `${tables}\n${differences}\nregions differ: ${report.differences.length} row(s) shown; --json adds each region's per-origin components\n`;
}
