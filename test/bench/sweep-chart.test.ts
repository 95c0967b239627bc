import { describe, expect, it } from "vitest";
import { decades, logScale, renderSweepSvg, secondsLabel } from "./sweep-chart.ts";
import type { LagFigures, LagSystem, SweepPoint } from "./lag-figures.ts";

describe("the chart's scales", () => {
  it("logScale maps each decade to an equal step, ends to ends", () => {
    const y = logScale(0.001, 10, 400, 0);
    expect(y(0.001)).toBeCloseTo(400);
    expect(y(10)).toBeCloseTo(0);
    expect(y(0.01)).toBeCloseTo(300);
    expect(y(1)).toBeCloseTo(100);
    expect(y(0.1) - y(1)).toBeCloseTo(y(1) - y(10));
  });

  it("decades cover the values with whole powers of ten, at least two", () => {
    expect(decades(0.0004, 7)).toEqual([0.0001, 0.001, 0.01, 0.1, 1, 10]);
    expect(decades(0.001, 10)).toEqual([0.001, 0.01, 0.1, 1, 10]);
    expect(decades(2, 3)).toEqual([1, 10]);
  });

  it("labels seconds in ms below 1 s", () => {
    expect([0.0001, 0.001, 0.1, 1, 10].map(secondsLabel)).toEqual([
      "0.1 ms",
      "1 ms",
      "100 ms",
      "1 s",
      "10 s",
    ]);
  });
});

const figures = (system: LagSystem, rate: number, p50: number, p99: number, atLeast = false) =>
  ({
    system,
    rate,
    achieved: rate,
    p50: { seconds: p50, atLeast: false },
    p99: { seconds: p99, atLeast },
    arrived: 1,
    expected: 1,
    machineBusy: 0.5,
  }) satisfies LagFigures;

describe("renderSweepSvg", () => {
  const points: SweepPoint[] = [
    {
      rate: 50,
      georep: figures("georep", 50, 0.05, 0.2),
      native: figures("native", 50, 0.001, 0.01),
    },
    {
      rate: 100,
      georep: figures("georep", 100, 0.09, 0.4),
      native: figures("native", 100, 0.001, 0.013),
    },
    {
      rate: 200,
      georep: figures("georep", 200, 2, 30, true),
      native: figures("native", 200, 0.001, 0.014),
    },
  ];
  const svg = renderSweepSvg({
    points,
    machine: { cores: 2, cpuModel: "Test <CPU> & Co" },
    seconds: 10,
    measuredAt: "2026-01-02T03:04:05.000Z",
  });

  it("is one SVG document with four series, a legend and the machine in its title", () => {
    expect(svg.startsWith("<svg xmlns=")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(4);
    expect(svg.match(/<circle /g)).toHaveLength(12 + 1); // a marker per value, one in the legend
    for (const label of ["georep p50", "georep p99", "native p50", "native p99"])
      expect(svg).toContain(`>${label}</text>`);
    expect(svg).toContain(
      "Measured on 2 cores (Test &lt;CPU&gt; &amp; Co), shared with other jobs; 10 s of writes per point; 2026-01-02",
    );
    expect(svg).toContain(">commits/s per region</text>");
  });

  it("draws a lower bound hollow and ticks every rate measured and every decade", () => {
    expect(svg).toMatch(/<circle [^>]*fill="white"\/>/);
    for (const label of [">50<", ">100<", ">200<", ">1 ms<", ">1 s<", ">100 s<"])
      expect(svg).toContain(label);
  });
});
