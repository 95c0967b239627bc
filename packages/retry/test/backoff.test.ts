import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { propertyConfig, propertyParameters } from "@georep/crdt/testing";
import { backoffDelay } from "../src/backoff.ts";

const low = (): number => 0;
const high = (): number => 1 - Number.EPSILON;

describe("backoffDelay", () => {
  it("doubles from initialMs up to maxMs", () => {
    const backoff = { initialMs: 200, maxMs: 5_000 };
    const steps = [0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(backoff, a, high));
    expect(steps).toEqual([200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
  });

  it("draws each delay from the upper half of its step", () => {
    const backoff = { initialMs: 20, maxMs: 2_000 };
    expect(backoffDelay(backoff, 0, low)).toBe(10);
    expect(backoffDelay(backoff, 3, low)).toBe(80);
    expect(backoffDelay(backoff, 3, () => 0.5)).toBe(120);
    expect(backoffDelay(backoff, 20, low)).toBe(1_000);
  });

  it("never leaves [step / 2, step], whatever the attempt", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (initialMs, extra, attempt, r) => {
          const maxMs = initialMs + extra;
          const step = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 60));
          const delay = backoffDelay({ initialMs, maxMs }, attempt, () => r);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(step / 2));
          expect(delay).toBeLessThanOrEqual(maxMs);
          expect(delay).toBeLessThanOrEqual(Math.ceil(step));
        },
      ),
      propertyParameters(propertyConfig(process.env, 500)),
    );
  });

  it.each([
    [{ initialMs: 100, maxMs: 50 }, 0, "0 <= initialMs <= maxMs"],
    [{ initialMs: -1, maxMs: 50 }, 0, "0 <= initialMs <= maxMs"],
    [{ initialMs: 1, maxMs: Infinity }, 0, "0 <= initialMs <= maxMs"],
    [{ initialMs: 1, maxMs: 50 }, -1, "non-negative integer"],
    [{ initialMs: 1, maxMs: 50 }, 1.5, "non-negative integer"],
  ])("refuses %j at attempt %d", (backoff, attempt, text) => {
    expect(() => backoffDelay(backoff, attempt)).toThrow(RangeError);
    expect(() => backoffDelay(backoff, attempt)).toThrow(text);
  });
});
