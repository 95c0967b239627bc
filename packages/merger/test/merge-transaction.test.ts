import { describe, expect, it } from "vitest";
import { silentLogger } from "@georep/observability";
import { countingResultsSpec } from "@georep/schema";
import { MergerConfigError, createMergeTransaction } from "../src/index.ts";

describe("merge transaction retry delays", () => {
  it("accepts a first delay above the default cap (the cap grows with it)", () => {
    expect(() =>
      createMergeTransaction({
        tables: [countingResultsSpec],
        logger: silentLogger(),
        backoffMs: 5_000,
      }),
    ).not.toThrow();
  });

  it("refuses a cap below the first delay, naming the field and the fix", () => {
    const make = (): unknown =>
      createMergeTransaction({
        tables: [countingResultsSpec],
        logger: silentLogger(),
        backoffMs: 500,
        backoffMaxMs: 100,
      });
    expect(make).toThrow(MergerConfigError);
    expect(make).toThrow(/backoffMaxMs \(100\) is below backoffMs \(500\); raise backoffMaxMs/);
  });
});
