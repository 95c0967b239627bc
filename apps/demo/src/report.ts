import type { Pool } from "pg";
import type { GroundTruth } from "@georep/camera-service";
import type { StateLayout } from "@georep/schema";
import { verifyRegions } from "@georep/verify";

interface RegionPool {
  readonly region: string;
  readonly pool: Pool;
}

interface Sums {
  rows: string;
  people_in: string;
  people_out: string;
  vehicle_in: string;
  vehicle_out: string;
}

async function sums(pool: Pool): Promise<Sums> {
  const { rows } =
    await pool.query<Sums>(`SELECT count(*)::text AS rows, coalesce(sum(people_in),0)::text AS people_in,
    coalesce(sum(people_out),0)::text AS people_out, coalesce(sum(vehicle_in),0)::text AS vehicle_in,
    coalesce(sum(vehicle_out),0)::text AS vehicle_out FROM counting_results`);
  const row = rows[0];
  if (row === undefined) throw new Error("no totals row");
  return row;
}

export async function totalsMatch(
  pools: readonly RegionPool[],
  truth: GroundTruth,
): Promise<boolean> {
  const want = truth.total();
  for (const p of pools) {
    const s = await sums(p.pool);
    if (
      BigInt(s.people_in) !== want.peopleIn ||
      BigInt(s.people_out) !== want.peopleOut ||
      BigInt(s.vehicle_in) !== want.vehicleIn ||
      BigInt(s.vehicle_out) !== want.vehicleOut
    )
      return false;
  }
  return true;
}

/** The closing report: totals per region against what was sent, and the row-by-row verdict. */
export async function finalReport(input: {
  pools: readonly RegionPool[];
  layouts: readonly StateLayout[];
  truth: GroundTruth;
  out: (line: string) => void;
  convergeMs: number;
  writeMs: number;
}): Promise<boolean> {
  const { out, truth } = input;
  const want = truth.total();
  out("");
  out(
    `ground truth (sent):   people in ${want.peopleIn}, out ${want.peopleOut}; vehicles in ${want.vehicleIn}, out ${want.vehicleOut}; ${truth.perKey.size} camera buckets`,
  );
  let ok = true;
  for (const p of input.pools) {
    const s = await sums(p.pool);
    const exact =
      BigInt(s.people_in) === want.peopleIn &&
      BigInt(s.people_out) === want.peopleOut &&
      BigInt(s.vehicle_in) === want.vehicleIn &&
      BigInt(s.vehicle_out) === want.vehicleOut &&
      Number(s.rows) === truth.perKey.size;
    ok &&= exact;
    out(
      `${p.region.padEnd(10)} holds:    people in ${s.people_in}, out ${s.people_out}; vehicles in ${s.vehicle_in}, out ${s.vehicle_out}; ${s.rows} rows  ${exact ? "= ground truth" : "≠ GROUND TRUTH"}`,
    );
  }
  const verdict = await verifyRegions(input.pools, input.layouts);
  ok &&= verdict.identical;
  out(
    `row-by-row verification across regions: ${verdict.identical ? "IDENTICAL" : `DIFFERENT (${verdict.differences.length} rows shown below)`}`,
  );
  for (const d of verdict.differences) out(`  ${d.table} ${d.key}: ${JSON.stringify(d.rows)}`);
  out(
    `writes took ${(input.writeMs / 1000).toFixed(1)}s; every region converged ${(input.convergeMs / 1000).toFixed(1)}s after the last write`,
  );
  out(
    ok
      ? "RESULT: every region is identical and every total equals what was sent."
      : "RESULT: FAILED",
  );
  return ok;
}
