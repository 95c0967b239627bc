import { describe, expect, it } from "vitest";
import {
  censoredQuantile,
  comparisonLines,
  formatRatio,
  saturationPoint,
  sortedQuantile,
  sweepTable,
} from "./lag-figures.ts";
import type { LagFigures, LagSystem } from "./lag-figures.ts";

const run = (
  system: LagSystem,
  rate: number,
  p99: number,
  { atLeast = false, achieved = rate } = {},
): LagFigures => ({
  system,
  rate,
  achieved,
  p50: { seconds: p99 / 10, atLeast: false },
  p99: { seconds: p99, atLeast },
  arrived: 100,
  expected: 100,
  machineBusy: 0.5,
});

describe("saturationPoint", () => {
  it("is the highest rate whose p99 is at most 1 s", () => {
    const s = saturationPoint([
      run("georep", 400, 7),
      run("georep", 50, 0.05),
      run("georep", 200, 1),
      run("georep", 100, 0.4),
    ]);
    expect(s).toEqual({ rate: 200, beyond: false });
  });

  it("is only a lower bound when the highest rate measured held", () => {
    expect(saturationPoint([run("native", 50, 0.01), run("native", 400, 0.02)])).toEqual({
      rate: 400,
      beyond: true,
    });
  });

  it("does not count a rate the writers did not achieve, nor a p99 known only as a lower bound", () => {
    const s = saturationPoint([
      run("native", 50, 0.01),
      run("native", 100, 0.01, { achieved: 80 }),
      run("native", 200, 0.5, { atLeast: true }),
    ]);
    expect(s).toEqual({ rate: 50, beyond: false });
  });

  it("is undefined when no rate held, or nothing was measured", () => {
    expect(saturationPoint([run("georep", 50, 2)]).rate).toBeUndefined();
    expect(saturationPoint([])).toEqual({ rate: undefined, beyond: false });
  });
});

describe("censoredQuantile", () => {
  const linear = (q: number): number => q; // known lags spread evenly over [0, 1] s

  it("is the known rows' quantile, rescaled, when the rank falls among them", () => {
    expect(censoredQuantile(0.5, 100, 0, linear, 30)).toEqual({ seconds: 0.5, atLeast: false });
    // 90 known, 10 missing: the overall median is the known rows' 0.5 × 100 / 90 quantile.
    expect(censoredQuantile(0.5, 90, 10, linear, 30).seconds).toBeCloseTo(50 / 90);
  });

  it("is the wait, as a lower bound, when the rank falls among rows that never arrived", () => {
    expect(censoredQuantile(0.99, 90, 10, linear, 30)).toEqual({ seconds: 30, atLeast: true });
  });

  it("is NaN with no rows at all", () => {
    expect(censoredQuantile(0.5, 0, 0, linear, 30).seconds).toBeNaN();
  });
});

describe("sortedQuantile", () => {
  it("interpolates between the closest ranks", () => {
    expect(sortedQuantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(sortedQuantile([0, 10], 0.99)).toBeCloseTo(9.9);
    expect(sortedQuantile([7], 0.99)).toBe(7);
    expect(sortedQuantile([], 0.5)).toBeNaN();
  });
});

describe("the printed comparison", () => {
  it("shows both systems and georep's ratio to native", () => {
    const lines = comparisonLines(run("georep", 200, 0.5), run("native", 200, 0.01));
    expect(lines[0]).toContain("200 commits/s per region");
    expect(lines[1]).toMatch(/georep .*p99 +500\.0 ms/);
    expect(lines[2]).toMatch(/native .*p99 +10\.0 ms/);
    expect(lines[3]).toContain("p50 50.0×   p99 50.0×");
  });

  it("marks lower bounds, and has no ratio against a lower bound", () => {
    expect(formatRatio({ seconds: 30, atLeast: true }, { seconds: 0.01, atLeast: false })).toBe(
      "≥ 3000.0×",
    );
    expect(formatRatio({ seconds: 1, atLeast: false }, { seconds: 30, atLeast: true })).toBe("n/a");
  });

  it("ends the sweep's table with both saturation points", () => {
    const table = sweepTable([
      { rate: 50, georep: run("georep", 50, 0.3), native: run("native", 50, 0.01) },
      { rate: 100, georep: run("georep", 100, 3), native: run("native", 100, 0.02) },
    ]);
    expect(table).toHaveLength(4);
    expect(table[3]).toContain("georep 50/s, native ≥ 100/s");
  });
});
