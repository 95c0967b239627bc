import type { Pool } from "pg";
import type { StateLayout } from "@georep/schema";
import { componentsOf, rangeRows, tableDigest } from "./digest.ts";

export interface RegionHandle {
  readonly region: string;
  readonly pool: Pool;
}

export interface RowDifference {
  readonly table: string;
  readonly key: string;
  /** Region -> the row as text (undefined = row absent there). */
  readonly rows: Record<string, string | undefined>;
  /** Region -> origin -> component column -> value. */
  readonly components: Record<string, Record<string, Record<string, string>>>;
}

export interface VerifyReport {
  readonly identical: boolean;
  readonly tables: Array<{
    table: string;
    rows: Record<string, number>;
    mismatchedRanges: number[];
  }>;
  readonly differences: RowDifference[];
}

/**
 * How far verification got. A table takes one step per region (its digest), then one more
 * (reading the rows of the ranges that differ, if any, and their components).
 */
export interface VerifyProgress {
  readonly table: string;
  readonly done: number;
  readonly total: number;
}

export interface VerifyOptions {
  /** Key-hash ranges compared per table (default 16). */
  readonly buckets?: number;
  /** Differing rows reported in detail, at most (default 20). */
  readonly maxDifferences?: number;
  readonly onProgress?: (progress: VerifyProgress) => void;
}

/**
 * Compares every region's user rows table by table: digests per key range first, then the
 * rows of ranges that differ, with each region's per-origin counter components for those keys.
 */
export async function verifyRegions(
  regions: readonly RegionHandle[],
  layouts: readonly StateLayout[],
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const buckets = options.buckets ?? 16;
  const maxDifferences = options.maxDifferences ?? 20;
  const tables: VerifyReport["tables"] = [];
  const differences: RowDifference[] = [];
  const total = layouts.length * (regions.length + 1);
  let done = 0;
  for (const layout of layouts) {
    const table = `${layout.spec.schema}.${layout.spec.name}`;
    const step = (): void => options.onProgress?.({ table, done: ++done, total });
    options.onProgress?.({ table, done, total });
    const digests = await Promise.all(
      regions.map(async (r) => {
        const digest = await tableDigest(r.pool, layout, buckets);
        step();
        return digest;
      }),
    );
    const byBucket = (i: number): Map<number, string> =>
      new Map((digests[i] ?? []).map((d) => [d.bucket, d.digest]));
    const maps = regions.map((_, i) => byBucket(i));
    const all = new Set(maps.flatMap((m) => [...m.keys()]));
    const mismatched = [...all]
      .filter((b) => new Set(maps.map((m) => m.get(b) ?? "-")).size > 1)
      .sort((a, b) => a - b);
    tables.push({
      table,
      rows: Object.fromEntries(
        regions.map((r, i) => [r.region, (digests[i] ?? []).reduce((n, d) => n + d.rows, 0)]),
      ),
      mismatchedRanges: mismatched,
    });
    if (mismatched.length === 0) {
      step();
      continue;
    }
    const rowsByRegion = await Promise.all(
      regions.map((r) => rangeRows(r.pool, layout, buckets, mismatched)),
    );
    const keys = new Set(rowsByRegion.flatMap((m) => [...m.keys()]));
    for (const key of [...keys].sort()) {
      const rows = Object.fromEntries(regions.map((r, i) => [r.region, rowsByRegion[i]?.get(key)]));
      if (new Set(Object.values(rows)).size <= 1) continue;
      if (differences.length >= maxDifferences) break;
      const components = Object.fromEntries(
        await Promise.all(
          regions.map(async (r) => [r.region, await componentsOf(r.pool, layout, key)] as const),
        ),
      );
      differences.push({ table, key, rows, components });
    }
    step();
  }
  return { identical: tables.every((t) => t.mismatchedRanges.length === 0), tables, differences };
}
