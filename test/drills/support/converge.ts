// The drills' end condition: every region identical row by row (verifyRegions) and every
// counter exactly the ground truth, per key. On timeout the error shows how far each region is.
import type pg from "pg";
import { countingResultsSpec, parseTableSpec, stateLayout } from "@georep/schema";
import { WaitForTimeoutError, waitFor } from "@georep/testkit";
import { verifyRegions } from "@georep/verify";
import { grandTotal, sameTotals, show, totalsDiff, userGrandTotal, userTotals } from "./totals.ts";
import type { KeyTotals } from "./totals.ts";

export interface RegionReader {
  readonly id: string;
  readonly pool: pg.Pool;
}

const layouts = [stateLayout(parseTableSpec(countingResultsSpec))];

/**
 * Why the regions are not converged to `want` yet, or undefined when they are. `quick` stops at
 * the grand totals when they differ (polling every row of every region would load two cores).
 */
export async function convergenceGap(
  regions: readonly RegionReader[],
  want: KeyTotals,
  quick = false,
): Promise<string | undefined> {
  const total = grandTotal(want);
  const sums = await Promise.all(regions.map((r) => userGrandTotal(r.pool)));
  if (quick && !sums.every((s) => sameTotals(s, total)))
    return `want total ${show(total)}; ${regions.map((r, i) => `${r.id}: ${show(sums[i] ?? total)}`).join(" | ")}`;
  const gaps: string[] = [];
  for (const r of regions) {
    const got = await userTotals(r.pool);
    const diff = totalsDiff(want, got, 3);
    if (diff.length > 0) gaps.push(`${r.id}: total ${show(grandTotal(got))} (${diff.join("; ")})`);
  }
  const report = await verifyRegions(
    regions.map((r) => ({ region: r.id, pool: r.pool })),
    layouts,
    { maxDifferences: 2 },
  );
  if (!report.identical)
    gaps.push(
      `regions differ: ${JSON.stringify(report.differences.map((d) => ({ key: d.key, components: d.components })))}`,
    );
  if (gaps.length === 0) return undefined;
  return `want total ${show(grandTotal(want))}; ${gaps.join(" | ")}`;
}

/**
 * Waits until every region is identical to the others and holds exactly `want`; returns
 * Date.now() at that moment.
 * @throws Error with each region's total and first differing keys when time runs out.
 */
export async function waitConverged(
  regions: readonly RegionReader[],
  want: KeyTotals,
  timeoutMs: number,
): Promise<number> {
  try {
    await waitFor(async () => (await convergenceGap(regions, want, true)) === undefined, {
      description: "every region identical with exact totals",
      timeoutMs,
      intervalMs: 250,
    });
  } catch (error) {
    if (error instanceof WaitForTimeoutError) {
      const gap = await convergenceGap(regions, want);
      throw new Error(`regions did not converge to the ground truth in ${timeoutMs} ms: ${gap}`, {
        cause: error,
      });
    }
    throw error;
  }
  return Date.now();
}
