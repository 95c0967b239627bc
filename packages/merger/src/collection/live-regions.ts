import type { RegionRef } from "../options.ts";

/**
 * The regions tombstone collection waits for: every region of the merger's list, this one
 * included. A region that is down holds collection back until it is back or removed; removing a
 * region from the live set is a change here only.
 */
export function liveRegions(regions: readonly RegionRef[]): string[] {
  return regions.map((r) => r.id);
}
