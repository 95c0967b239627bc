import { describe, expect, it } from "vitest";
import { repairBackoffMs } from "../src/gap-repair.ts";

describe("repairBackoffMs", () => {
  it("repairs at once after the first of a row, then backs off to 5 min", () => {
    expect([1, 2, 3, 4, 8, 12, 40].map(repairBackoffMs)).toEqual([
      0, 5_000, 10_000, 20_000, 300_000, 300_000, 300_000,
    ]);
  });
});
