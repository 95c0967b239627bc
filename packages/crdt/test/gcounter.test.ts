import { describe, expect, it } from "vitest";
import {
  BigintRangeError,
  InvalidIdError,
  NegativeIncrementError,
  NonIntegerIncrementError,
  PG_BIGINT_MAX,
  emptyGCounter,
  gcounterFrom,
  incrementGCounter,
  mergeGCounter,
  valueOfGCounter,
} from "../src/index.ts";

describe("gcounter", () => {
  it("sums components and merges by per-component max", () => {
    const a = incrementGCounter(incrementGCounter(emptyGCounter(), "us-east", 3), "eu-west", 2n);
    const b = incrementGCounter(gcounterFrom([["us-east", 1n]]), "ap-south", 5);
    const m = mergeGCounter(a, b);
    expect(m.counts).toEqual({ "us-east": 3n, "eu-west": 2n, "ap-south": 5n });
    expect(valueOfGCounter(m)).toBe(10n);
  });

  it("stays exact past 2^53, where doubles would round", () => {
    const big = 2n ** 53n;
    const c = incrementGCounter(incrementGCounter(emptyGCounter(), "us-east", big), "eu-west", 1n);
    expect(valueOfGCounter(c)).toBe(big + 1n);
    expect(Number(big) + 1 === Number(big)).toBe(true); // the float sum would have lost the 1
  });

  it("refuses to shrink, with a typed error that says what to do", () => {
    expect(() => incrementGCounter(emptyGCounter(), "us-east", -1)).toThrow(NegativeIncrementError);
    expect(() => incrementGCounter(emptyGCounter(), "us-east", -1n)).toThrow(
      /only grow.*PN-counter/,
    );
  });

  it("refuses non-integers and unsafe numbers", () => {
    expect(() => incrementGCounter(emptyGCounter(), "us-east", 1.5)).toThrow(
      NonIntegerIncrementError,
    );
    expect(() => incrementGCounter(emptyGCounter(), "us-east", 2 ** 60)).toThrow(
      NonIntegerIncrementError,
    );
    expect(() => incrementGCounter(emptyGCounter(), "us-east", Number.NaN)).toThrow(
      NonIntegerIncrementError,
    );
  });

  it("refuses components that PostgreSQL bigint cannot hold", () => {
    const full = gcounterFrom([["us-east", PG_BIGINT_MAX]]);
    expect(() => incrementGCounter(full, "us-east", 1)).toThrow(BigintRangeError);
  });

  it("refuses region ids that are not safe record keys", () => {
    for (const bad of ["", "__proto__", "constructor", "toString", "us east", "x".repeat(64)]) {
      expect(() => incrementGCounter(emptyGCounter(), bad, 1)).toThrow(InvalidIdError);
    }
  });

  it("returns the same object when nothing changes (no allocation on the hot path)", () => {
    const a = gcounterFrom([["us-east", 5n]]);
    expect(incrementGCounter(a, "us-east", 0)).toBe(a);
    expect(mergeGCounter(a, gcounterFrom([["us-east", 4n]]))).toBe(a);
  });

  it("does not mutate its inputs", () => {
    const a = gcounterFrom([["us-east", 1n]]);
    const b = gcounterFrom([["us-east", 2n]]);
    mergeGCounter(a, b);
    incrementGCounter(a, "us-east", 1);
    expect(a.counts).toEqual({ "us-east": 1n });
  });
});
