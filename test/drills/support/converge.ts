// The drills' end condition: every region identical row by row (verifyRegions) and every
// counter exactly the ground truth, per key. On timeout the error shows how far each region is.
import type pg from "pg";
import { countingResultsSpec, parseTableSpec, stateLayout } from "@georep/spec";
import { WaitForTimeoutError, waitFor } from "@georep/testkit";
import { verifyRegions } from "@georep/verify";
import { grandTotal, show, totalsDiff, userTotals } from "./totals.ts";
import type { KeyTotals } from "./totals.ts";

export interface RegionReader {
  readonly id: string;
  readonly pool: pg.Pool;
}

const layouts = [stateLayout(parseTableSpec(countingResultsSpec))];

/** Why the regions are not converged to `want` yet, or undefined when they are. */
export async function convergenceGap(
  regions: readonly RegionReader[],
  want: KeyTotals,
): Promise<string | undefined> {
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
  let last: string | undefined = "not checked yet";
  try {
    await waitFor(
      async () => {
        last = await convergenceGap(regions, want);
        return last === undefined;
      },
      { description: "every region identical with exact totals", timeoutMs, intervalMs: 250 },
    );
  } catch (error) {
    if (error instanceof WaitForTimeoutError)
      throw new Error(`regions did not converge to the ground truth in ${timeoutMs} ms: ${last}`, {
        cause: error,
      });
    throw error;
  }
  return Date.now();
}
