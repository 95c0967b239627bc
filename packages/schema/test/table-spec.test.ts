import { describe, expect, it } from "vitest";
import {
  countingResultsSpec,
  parseInstallConfig,
  parseTableSpec,
  SpecError,
} from "../src/index.ts";

const base = {
  name: "readings",
  key: [{ name: "id", type: "text" }],
  columns: [
    { name: "hits", type: "bigint", crdt: "gcounter" },
    { name: "home", type: "text", crdt: "lww" },
  ],
  home: { kind: "column", column: "home" },
};

function errorOf(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error("expected a SpecError");
}

describe("parseTableSpec", () => {
  it("accepts the camera counting spec and fills defaults", () => {
    const spec = parseTableSpec(countingResultsSpec);
    expect(spec.schema).toBe("public");
    expect(spec.policy).toBe("lww");
  });

  it.each([
    [{ ...base, name: "Readings; DROP TABLE x" }, "name", "lower-case SQL identifier"],
    [{ ...base, name: "a__b" }, "name", "reserved for georep"],
    [{ ...base, name: "x".repeat(64) }, "name", "at most 63"],
    [{ ...base, key: [] }, "key", "at least one key column"],
    [
      { ...base, columns: [{ name: "hits", type: "bigint; --", crdt: "gcounter" }] },
      "columns.0.type",
      "must be one of",
    ],
    [
      { ...base, columns: [{ name: "hits", type: "bigint", crdt: "counter" }] },
      "columns.0.crdt",
      "gcounter",
    ],
    [
      { ...base, columns: [...base.columns, { name: "hits", type: "bigint", crdt: "gcounter" }] },
      "columns[2].name",
      "declared twice",
    ],
    [
      { ...base, columns: [{ name: "hits", type: "integer", crdt: "gcounter" }, base.columns[1]] },
      "columns[0].type",
      "must be bigint",
    ],
    [
      { ...base, home: { kind: "column", column: "hits" } },
      "home.column",
      "lww column of type text",
    ],
    [
      {
        ...base,
        home: {
          kind: "prefix",
          column: "nope",
          prefixes: [{ prefix: "eu-", region: "eu-west" }],
          otherwise: "us-east",
        },
      },
      "home.column",
      "not a column",
    ],
    [{ ...base, extra: 1 }, "(root)", "Unrecognized key"],
  ])("refuses %j at %s, naming the fix", (input, field, text) => {
    const error = errorOf(() => parseTableSpec(input));
    expect(error.field).toBe(field);
    expect(error.message).toContain("table spec 'readings'".slice(0, 12));
    expect(error.message).toContain(text);
  });
});

describe("parseInstallConfig", () => {
  const ok = {
    region: "us-east",
    regions: [{ id: "us-east" }, { id: "eu-west", zone: "eu" }],
    tables: [base],
  };

  it("accepts a valid config", () => {
    expect(parseInstallConfig(ok).tables[0]?.name).toBe("readings");
  });

  it.each([
    [{ ...ok, region: "mars" }, "region", "not in regions"],
    [{ ...ok, region: "US_EAST" }, "region", "lower-case letters"],
    [{ ...ok, regions: [{ id: "us-east" }, { id: "us-east" }] }, "regions", "twice"],
    [
      { ...ok, regions: [{ id: "us-east" }, { id: "eu-west", zone: "eu_central" }] },
      "regions.1.zone",
      "regions.1.zone must be a zone id like 'eu'",
    ],
    [{ ...ok, tables: [] }, "tables", "at least one"],
    [{ ...ok, tables: [base, base] }, "tables", "declared twice"],
    [{ ...ok, tables: [{ ...base, name: "Bad" }] }, "tables[0].name", "identifier"],
    [
      {
        ...ok,
        tables: [
          {
            ...base,
            home: {
              kind: "prefix",
              column: "id",
              prefixes: [{ prefix: "x", region: "ap-south" }],
              otherwise: "us-east",
            },
          },
        ],
      },
      "tables[0].home",
      "not in regions",
    ],
  ])("refuses %j at %s", (input, field, text) => {
    const error = errorOf(() => parseInstallConfig(input));
    expect(error.field).toBe(field);
    expect(error.message).toContain(text);
  });
});
