import { describe, expect, it } from "vitest";
import {
  NegativeIncrementError,
  addPNCounter,
  decrementPNCounter,
  emptyPNCounter,
  incrementPNCounter,
  mergePNCounter,
  valueOfPNCounter,
} from "../src/index.ts";

describe("pncounter", () => {
  it("is sum(p) - sum(n), and can go below zero", () => {
    let c = incrementPNCounter(emptyPNCounter(), "us-east", 5);
    c = decrementPNCounter(c, "eu-west", 7);
    expect(valueOfPNCounter(c)).toBe(-2n);
    expect(c.p.counts).toEqual({ "us-east": 5n });
    expect(c.n.counts).toEqual({ "eu-west": 7n });
  });

  it("routes a signed amount to p or n", () => {
    const c = addPNCounter(addPNCounter(emptyPNCounter(), "us-east", -3), "us-east", 4n);
    expect(valueOfPNCounter(c)).toBe(1n);
  });

  it("merges p and n independently", () => {
    const a = decrementPNCounter(incrementPNCounter(emptyPNCounter(), "us-east", 2), "us-east", 1);
    const b = incrementPNCounter(emptyPNCounter(), "eu-west", 10);
    expect(valueOfPNCounter(mergePNCounter(a, b))).toBe(11n);
    expect(mergePNCounter(a, a)).toBe(a);
  });

  it("wants magnitudes for increment and decrement", () => {
    expect(() => incrementPNCounter(emptyPNCounter(), "us-east", -1)).toThrow(
      NegativeIncrementError,
    );
    expect(() => decrementPNCounter(emptyPNCounter(), "us-east", -1)).toThrow(
      NegativeIncrementError,
    );
  });
});
