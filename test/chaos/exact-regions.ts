import type pg from "pg";
import type { GroundTruth } from "@georep/camera-service";
import { countingResultsSpec, parseTableSpec, stateLayout } from "@georep/schema";
import { verifyRegions } from "@georep/verify";

const layouts = [stateLayout(parseTableSpec(countingResultsSpec))];

/** Every region holds identical state, and each one's counting totals equal the ground truth. */
export async function regionsExact(
  regions: ReadonlyArray<{ readonly id: string; readonly pool: pg.Pool }>,
  truth: GroundTruth,
): Promise<boolean> {
  const pools = regions.map((r) => ({ region: r.id, pool: r.pool }));
  if (!(await verifyRegions(pools, layouts)).identical) return false;
  const want = truth.total();
  for (const r of regions) {
    const { rows } = await r.pool.query<{ i: string; o: string }>(
      "SELECT coalesce(sum(people_in),0)::text AS i, coalesce(sum(people_out),0)::text AS o FROM counting_results",
    );
    if (
      BigInt(rows[0]?.i ?? "-1") !== want.peopleIn ||
      BigInt(rows[0]?.o ?? "-1") !== want.peopleOut
    )
      return false;
  }
  return true;
}
