import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeRowWithSchema } from "../src/codec.ts";
import { fastDecodeRow } from "../src/codec-fast.ts";
import {
  CodecError,
  UnsupportedVersionError,
  decodeGCounter,
  decodeLwwRegister,
  decodePNCounter,
  decodeRow,
  decodeRowDelta,
  encodeGCounter,
  encodeLwwRegister,
  encodePNCounter,
  encodeRow,
  encodeRowDelta,
  equalGCounter,
  equalLww,
  equalPNCounter,
  equalRow,
} from "../src/index.ts";
import type { RowState } from "../src/index.ts";
import {
  checkProperty,
  gcounterArb,
  lwwArb,
  pncounterArb,
  rowArb,
  structuralEqual,
} from "../src/testing/index.ts";

/** Through real JSON text, as on the wire. */
const wire = (x: unknown): unknown => JSON.parse(JSON.stringify(x));
const row = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  v: 1,
  type: "row-delta",
  gcounters: { people_in: { "us-east": "12" } },
  registers: { label: { "eu-west": ["x", "99"] } },
  inserted: { stamp: "5", region: "us-east" },
  ...over,
});

function codecError(f: () => unknown): CodecError {
  try {
    f();
  } catch (e) {
    if (e instanceof CodecError) return e;
    throw e;
  }
  throw new Error("expected a CodecError");
}

describe("codec round-trips", () => {
  it("gcounter", () => {
    checkProperty(
      "codec round-trips gcounter",
      fc.property(gcounterArb, (c) => equalGCounter(decodeGCounter(wire(encodeGCounter(c))), c)),
    );
  });
  it("pncounter", () => {
    checkProperty(
      "codec round-trips pncounter",
      fc.property(pncounterArb, (c) =>
        equalPNCounter(decodePNCounter(wire(encodePNCounter(c))), c),
      ),
    );
  });
  it("lww register", () => {
    checkProperty(
      "codec round-trips lww register",
      fc.property(lwwArb(), (r) => equalLww(decodeLwwRegister(wire(encodeLwwRegister(r))), r)),
    );
  });
  it("row and row delta, through both the fast path and zod", () => {
    const same = (a: RowState, b: RowState): boolean =>
      equalRow(a, b) && structuralEqual(encodeRow(a), encodeRow(b));
    checkProperty(
      "codec round-trips row and row delta, through both the fast path and zod",
      fc.property(rowArb, (r) => {
        const encoded = wire(encodeRowDelta(r));
        const fast = fastDecodeRow(encoded, "row-delta");
        return (
          fast !== undefined &&
          same(fast, r) &&
          same(decodeRowWithSchema(encoded, "row-delta"), r) &&
          same(decodeRow(wire(encodeRow(r))), r) &&
          same(decodeRowDelta(encoded), r)
        );
      }),
    );
  });
  it("keeps counts exact past 2^53 and writes them as decimal strings", () => {
    const encoded = encodeGCounter(
      decodeGCounter({ v: 1, type: "gcounter", counts: { "us-east": "9007199254740993" } }),
    );
    expect(encoded.counts["us-east"]).toBe("9007199254740993");
  });
});

describe("codec fast path agrees with zod", () => {
  // Mutate a valid envelope at a random place; the fast path may defer (undefined) but must
  // never accept what zod rejects, nor decode differently.
  const mutate = (
    input: unknown,
    path: readonly number[],
    replacement: unknown,
    drop: boolean,
  ): unknown => {
    if (typeof input !== "object" || input === null || path.length === 0) return replacement;
    const keys = Object.keys(input);
    const key = keys[(path[0] ?? 0) % Math.max(keys.length, 1)];
    if (key === undefined) return input;
    const copy = new Map<string, unknown>(Object.entries(input));
    if (drop && path.length === 1) copy.delete(key);
    else copy.set(key, mutate(copy.get(key), path.slice(1), replacement, drop));
    return Array.isArray(input) ? [...copy.values()] : Object.fromEntries(copy);
  };
  it("on mutated envelopes", () => {
    checkProperty(
      "codec fast path agrees with zod on mutated envelopes",
      fc.property(
        rowArb,
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        fc.jsonValue({ maxDepth: 2 }),
        fc.boolean(),
        (r, path, replacement, drop) => {
          const input = mutate(wire(encodeRowDelta(r)), path, replacement, drop);
          const fast = fastDecodeRow(input, "row-delta");
          let slow: RowState | undefined;
          try {
            slow = decodeRowWithSchema(input, "row-delta");
          } catch (e) {
            if (!(e instanceof CodecError)) throw e;
          }
          return (
            fast === undefined ||
            (slow !== undefined &&
              equalRow(fast, slow) &&
              structuralEqual(encodeRow(fast), encodeRow(slow)))
          );
        },
      ),
    );
  });
});

describe("codec rejects malformed input with the path and what was expected", () => {
  it.each([
    [
      "a non-decimal bigint",
      { gcounters: { people_in: { "us-east": "12x" } } },
      "gcounters.people_in.us-east",
      /decimal integer string/,
    ],
    [
      "a negative bigint",
      { gcounters: { people_in: { "us-east": "-1" } } },
      "gcounters.people_in.us-east",
      /non-negative/,
    ],
    [
      "a leading zero",
      { gcounters: { people_in: { "us-east": "012" } } },
      "gcounters.people_in.us-east",
      /decimal/,
    ],
    [
      "a JSON number for a bigint",
      { gcounters: { people_in: { "us-east": 12 } } },
      "gcounters.people_in.us-east",
      /string/,
    ],
    [
      "a bigint past 2^63-1",
      { inserted: { stamp: "9223372036854775808", region: "us-east" } },
      "inserted.stamp",
      /PostgreSQL bigint/,
    ],
    ["a missing field", { inserted: { region: "us-east" } }, "inserted.stamp", /string/],
    ["an unknown field", { extra: true }, "(root)", /extra/],
    [
      "a bad region key",
      { gcounters: { people_in: { "us east": "1" } } },
      "gcounters.people_in.us east",
      /region id/,
    ],
    [
      "a bad column key",
      { registers: { "1col": { "us-east": ["x", "1"] } } },
      "registers.1col",
      /column name/,
    ],
    [
      "a bad register value",
      { registers: { label: { "us-east": [{ nested: 1 }, "1"] } } },
      "registers.label.us-east[0]",
      /register value/,
    ],
    [
      "a column typed twice",
      { pncounters: { people_in: { p: {}, n: {} } } },
      "pncounters.people_in",
      /both/,
    ],
    ["a wrong type tag", { type: "row" }, "type", /row-delta/],
  ])("%s", (_what, over, path, expected) => {
    const err = codecError(() => decodeRowDelta(wire(row(over))));
    expect(err.message).toContain(`at ${path}:`);
    expect(err.message).toMatch(expected);
    expect(err.path.join(".")).toBe(path === "(root)" ? "" : path.replace("[0]", ".0"));
  });

  it("rejects unknown and missing versions", () => {
    expect(() => decodeRowDelta(row({ v: 2 }))).toThrow(UnsupportedVersionError);
    expect(() => decodeGCounter({ type: "gcounter", counts: {} })).toThrow(
      /unsupported version undefined, expected one of 1/,
    );
    expect(
      codecError(() =>
        decodeLwwRegister({ v: "1", type: "lww", value: 1, stamp: "1", region: "us-east" }),
      ).path,
    ).toEqual(["v"]);
  });

  it("rejects a non-object envelope", () => {
    expect(codecError(() => decodeRow([])).message).toMatch(/JSON object envelope, got an array/);
    expect(codecError(() => decodeRow("{}")).message).toMatch(/got string/);
  });

  it("refuses a __proto__ key instead of silently dropping it", () => {
    const input = JSON.parse(
      '{"v":1,"type":"row","gcounters":{"people_in":{"__proto__":"5"}}}',
    ) as unknown;
    expect(fastDecodeRow(input, "row")).toBeUndefined();
    expect(codecError(() => decodeRow(input)).path).toEqual([
      "gcounters",
      "people_in",
      "__proto__",
    ]);
    expect(() =>
      decodeGCounter(JSON.parse('{"v":1,"type":"gcounter","counts":{"__proto__":"5"}}')),
    ).toThrow(/__proto__/);
  });

  it("keeps zod's issue as the cause", () => {
    expect(codecError(() => decodeRowDelta(row({ inserted: {} }))).cause).toBeDefined();
  });
});
