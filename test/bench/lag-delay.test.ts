import { describe, expect, it } from "vitest";
import { delayFromEnv, pairLags, pairLines } from "./lag-delay.ts";

const LAG = "georep_end_to_end_lag_seconds";
/** A region's /metrics with one lag histogram per origin: `counts` per bucket bound. */
const scrape = (byOrigin: Record<string, Record<string, number>>): string =>
  Object.entries(byOrigin)
    .flatMap(([origin, buckets]) =>
      Object.entries(buckets).map(([le, n]) => `${LAG}_bucket{origin="${origin}",le="${le}"} ${n}`),
    )
    .join("\n");

describe("delayFromEnv", () => {
  it("reads seeds, nothing when unset, and names the variable and the fix otherwise", () => {
    expect(delayFromEnv({ BENCH_DELAY: "seeds" })).toBe("seeds");
    expect(delayFromEnv({})).toBeUndefined();
    expect(() => delayFromEnv({ BENCH_DELAY: "50ms" })).toThrow(
      /BENCH_DELAY must be 'seeds' \(the seeds' WAN delays\) or unset/,
    );
  });
});

describe("pairLags", () => {
  it("reads each region's lag per origin over the window, beside the pair's delay", () => {
    const before = [
      scrape({ b: { "0.05": 0, "0.1": 0, "+Inf": 0 } }),
      scrape({ a: { "0.05": 0, "0.1": 0, "+Inf": 0 } }),
    ];
    const after = [
      scrape({ b: { "0.05": 0, "0.1": 100, "+Inf": 100 } }),
      scrape({ a: { "0.05": 100, "0.1": 100, "+Inf": 100 } }),
    ];
    const pairs = pairLags({ ids: ["a", "b"], before, after, oneWayMs: () => 40 }, LAG);
    expect(pairs.map((p) => [p.region, p.origin, p.count])).toEqual([
      ["a", "b", 100],
      ["b", "a", 100],
    ]);
    expect(pairs[0]?.p99Ms).toBeGreaterThan(50);
    expect(pairs[1]?.p99Ms).toBeLessThanOrEqual(50);
    const lines = pairLines(pairs, 100);
    expect(lines[0]).toContain("one-way delay 40 ms");
    expect(lines[0]).toContain("target ≤ 100 ms: OK");
  });
});
