import { describe, expect, it } from "vitest";
import { missingOffsets, offsetRanges } from "../src/gaps.ts";

describe("missingOffsets", () => {
  it("is nothing when the batch starts at the durable next offset, or before it", () => {
    expect(missingOffsets(10n, 10n)).toBeUndefined();
    expect(missingOffsets(10n, 4n)).toBeUndefined();
  });

  it("is nothing for a partition without a durable position", () => {
    expect(missingOffsets(undefined, 500n)).toBeUndefined();
  });

  it("is every offset from the durable next one to the one before the batch", () => {
    expect(missingOffsets(10n, 11n)).toEqual({ from: 10n, to: 10n });
    expect(missingOffsets(10n, 250n)).toEqual({ from: 10n, to: 249n });
  });
});

describe("offsetRanges", () => {
  it("joins consecutive offsets, in order, once each", () => {
    expect(offsetRanges([5n, 1n, 2n, 3n, 9n, 3n, 10n])).toEqual([
      { from: 1n, to: 3n },
      { from: 5n, to: 5n },
      { from: 9n, to: 10n },
    ]);
    expect(offsetRanges([])).toEqual([]);
  });
});
