import type { RegionRef } from "../options.ts";

/**
 * The regions tombstone collection waits for, as the merger knows them: every region of its
 * list, this one included. A region that is down holds collection back until it is back or
 * removed; removing a region from the live set is a change here only.
 */
export function liveRegions(regions: readonly RegionRef[]): string[] {
  return regions.map((r) => r.id);
}

/**
 * The merger's live regions and those the database waits for (`waitedFor`): its membership as
 * it is now, which a running merger learns only at its next membership check, and regions being
 * added, held by `georep region add` from before it copies them a snapshot (docs/data-model.md,
 * "A region being added").
 */
export function waitedRegions(live: readonly string[], waitedFor: readonly string[]): string[] {
  return [...new Set([...live, ...waitedFor])];
}
