import { describe, expect, it } from "vitest";
import { appliedShortOf, waitForApplied } from "../src/applied-progress.ts";

describe("applied progress against what a region reported", () => {
  it("names every origin below its floor or unknown, never the region itself", () => {
    const floor = new Map([
      ["a", 10n],
      ["b", 20n],
      ["c", 30n],
      ["self", 99n],
    ]);
    const applied = new Map([
      ["a", 10n],
      ["b", 19n],
    ]);
    expect(appliedShortOf(applied, floor, "self")).toEqual(["b", "c"]);
    expect(appliedShortOf(new Map([...applied, ["b", 25n], ["c", 30n]]), floor, "self")).toEqual(
      [],
    );
  });

  it("polls until covered, and ends when stopped", async () => {
    const reads = [new Map([["a", 1n]]), new Map([["a", 5n]])];
    const db = {
      query: () => {
        const next = reads.shift() ?? new Map<string, bigint>();
        return Promise.resolve({
          rows: [...next].map(([origin, stamp]) => ({ origin, stamp: String(stamp) })),
        });
      },
    };
    const short: string[][] = [];
    const wait = {
      self: "self",
      pollMs: 1,
      sleep: () => Promise.resolve(),
      onShort: (o: readonly string[]) => short.push([...o]),
    };
    expect(await waitForApplied(db as never, new Map([["a", 5n]]), wait)).toBe("covered");
    expect(short).toEqual([["a"]]);
    expect(
      await waitForApplied(db as never, new Map([["a", 5n]]), { ...wait, stopped: () => true }),
    ).toBe("stopped");
  });
});
