import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CrdtError,
  emptyGCounter,
  equalGCounter,
  gcounterFrom,
  incrementGCounter,
  leqGCounter,
  valueOfGCounter,
} from "../src/index.ts";
import type { GCounter } from "../src/index.ts";
import {
  PropertyFailure,
  checkProperty,
  databasePropertyParameters,
  gcounterArb,
  gcounterLaws,
  lawProperties,
  propertyConfig,
  replayCommand,
} from "../src/testing/index.ts";
import type { CrdtLaws } from "../src/testing/index.ts";

// The harness must catch broken CRDTs, or passing laws mean nothing.
const sumMerge = (a: GCounter, b: GCounter): GCounter => {
  const out: Record<string, bigint> = { ...a.counts };
  for (const [r, v] of Object.entries(b.counts)) out[r] = (out[r] ?? 0n) + v;
  return gcounterFrom(out);
};
const broken = (
  merge: (a: GCounter, b: GCounter) => GCounter,
): CrdtLaws<GCounter, bigint, bigint> => ({
  ...gcounterLaws,
  name: "broken",
  merge,
});
const fixed = { seed: 42, numRuns: 200, shrink: true };

describe("law harness", () => {
  it.each([
    [
      "sum instead of max (not idempotent)",
      sumMerge,
      [
        "idempotence",
        "convergence under shuffled duplicated delivery",
        "convergence through a lossy partitioned network",
      ],
    ],
    [
      "keep the left side (not commutative)",
      (a: GCounter) => a,
      ["commutativity", "inflation", "convergence through a lossy partitioned network"],
    ],
  ] as const)("catches a merge that uses %s", (_what, merge, laws) => {
    const props = lawProperties(broken(merge));
    for (const law of laws) {
      const property = props.get(law);
      if (property === undefined) throw new Error(`no law ${law}`);
      expect(() => {
        checkProperty(`broken ${law}`, property, fixed);
      }, law).toThrow(PropertyFailure);
    }
  });

  it("prints the seed, the path and the exact replay command", () => {
    const property = fc.property(gcounterArb, (c) => valueOfGCounter(c) < 3n);
    let failure: PropertyFailure | undefined;
    try {
      checkProperty("my law", property, fixed);
    } catch (e) {
      failure = e as PropertyFailure;
    }
    expect(failure).toBeInstanceOf(PropertyFailure);
    expect(failure?.message).toContain(
      `GEOREP_SEED=42 GEOREP_PATH=${failure?.path ?? ""} npx vitest run --project unit packages/crdt -t "my law"`,
    );
    expect(failure?.message).toMatch(/Counterexample/);
    // Replaying the printed path reproduces the same counterexample at once.
    expect(() => {
      checkProperty("my law", property, { ...fixed, path: failure?.path ?? "" });
    }).toThrow(failure?.message.split("\n")[0] ?? "");
  });

  it("reads seed, runs, path and shrinking from the environment", () => {
    expect(propertyConfig({ GEOREP_SEED: "7", GEOREP_RUNS: "50", GEOREP_PATH: "1:2" })).toEqual({
      seed: 7,
      numRuns: 50,
      path: "1:2",
      shrink: true,
    });
    expect(propertyConfig({ GEOREP_NO_SHRINK: "1" }).shrink).toBe(false);
    expect(propertyConfig({ GEOREP_NO_SHRINK: "0" }).shrink).toBe(true);
    expect(propertyConfig({ GEOREP_BUDGET_MS: "900000" }).budgetMs).toBe(900_000);
    expect(() => propertyConfig({ GEOREP_BUDGET_MS: "0" })).toThrow(/GEOREP_BUDGET_MS \(0\)/);
    expect(() => propertyConfig({ GEOREP_NO_SHRINK: "yes" })).toThrow(
      "GEOREP_NO_SHRINK (yes) must be 1 (report unshrunk) or 0.",
    );
    expect(propertyConfig({}).numRuns).toBe(200);
    // A property on a real database asks for fewer runs; GEOREP_RUNS still wins.
    expect(propertyConfig({}, 15).numRuns).toBe(15);
    expect(propertyConfig({ GEOREP_RUNS: "1000", GEOREP_SEED: "-42" }, 15)).toEqual({
      seed: -42,
      numRuns: 1000,
      shrink: true,
    });
    expect(Number.isSafeInteger(propertyConfig({}).seed)).toBe(true);
    expect(() => propertyConfig({ GEOREP_SEED: "abc" })).toThrow(CrdtError);
    expect(() => propertyConfig({ GEOREP_SEED: "1e3" })).toThrow(
      "GEOREP_SEED (1e3) must be an integer, e.g. GEOREP_SEED=42.",
    );
    expect(() => propertyConfig({ GEOREP_RUNS: "0" })).toThrow(/at least 1/);
    expect(replayCommand("x y", 3, null)).toBe(
      'GEOREP_SEED=3 npx vitest run --project unit packages/crdt -t "x y"',
    );
  });

  it("a database property out of time reports its counterexample, or fails as interrupted", async () => {
    const slow = (): Promise<void> => new Promise((r) => setTimeout(r, 40));
    const config = { seed: 1, numRuns: 1000, shrink: true };
    // Shrinking this one unbounded takes about 17 s (383 steps): the report comes at the
    // budget, with the counterexample shrunk so far.
    const failing = fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 20, maxLength: 40 }),
      async (a) => {
        await slow();
        if (a.every((x) => x > 1)) throw new Error("every element above 1");
      },
    );
    const started = Date.now();
    await expect(fc.assert(failing, databasePropertyParameters(config, 400))).rejects.toThrow(
      /Counterexample: \[\[/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    // Never failing but slower than the budget: not a pass on fewer runs than asked.
    const passing = fc.asyncProperty(fc.nat(), slow);
    await expect(fc.assert(passing, databasePropertyParameters(config, 200))).rejects.toThrow(
      /interrupted/,
    );
    // GEOREP_NO_SHRINK=1: the first counterexample, unshrunk.
    await expect(
      fc.assert(failing, databasePropertyParameters({ ...config, shrink: false }, 60_000)),
    ).rejects.toThrow(/Shrunk 0 time/);
  });

  it("G-counter value after convergence is the exact sum of all increments", () => {
    // gcounterLaws.expectedView makes the network law check this; here once more by hand.
    let a = emptyGCounter();
    a = incrementGCounter(a, "us-east", 2n ** 60n);
    a = incrementGCounter(a, "eu-west", 1n);
    expect(valueOfGCounter(a)).toBe(2n ** 60n + 1n);
    expect(leqGCounter(emptyGCounter(), a) && equalGCounter(a, a)).toBe(true);
  });
});
