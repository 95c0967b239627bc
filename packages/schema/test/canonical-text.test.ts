import { describe, expect, it } from "vitest";
import {
  CANONICAL_TEXT_FUNCTION_SET,
  CANONICAL_TEXT_SETTINGS,
  CANONICAL_TEXT_SETTINGS_SQL,
  countingResultsSpec,
  parseTableSpec,
  stateLayout,
} from "../src/index.ts";
import { captureTriggerSql } from "../src/sql/capture-trigger.ts";

const local = { replica: "us-east", stampFloor: 0n };

describe("canonical text settings", () => {
  it("derive the SET LOCAL string and the functions' SET clauses from one list", () => {
    expect(CANONICAL_TEXT_SETTINGS.map(([name]) => name)).toEqual([
      "DateStyle",
      "IntervalStyle",
      "TimeZone",
      "extra_float_digits",
      "bytea_output",
    ]);
    expect(CANONICAL_TEXT_SETTINGS_SQL).toBe(
      "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL TimeZone = 'UTC'; SET LOCAL extra_float_digits = '1'; SET LOCAL bytea_output = 'hex'",
    );
    expect(CANONICAL_TEXT_FUNCTION_SET).toBe(
      "SET DateStyle = 'ISO, YMD' SET IntervalStyle = 'postgres' SET TimeZone = 'UTC' SET extra_float_digits = '1' SET bytea_output = 'hex'",
    );
  });

  it("pin the capture trigger of a table whose register text depends on the session", () => {
    const spec = parseTableSpec({
      name: "moments",
      key: [{ name: "id", type: "bigint" }],
      columns: [
        { name: "day", type: "date", crdt: "lww" },
        { name: "home", type: "text", crdt: "lww" },
      ],
      home: { kind: "column", column: "home" },
    });
    expect(captureTriggerSql(stateLayout(spec), local)).toContain(
      `RETURNS trigger LANGUAGE plpgsql ${CANONICAL_TEXT_FUNCTION_SET} AS`,
    );
  });

  it("leave a trigger over text and integers alone (a SET clause costs on every captured row)", () => {
    const sql = captureTriggerSql(stateLayout(parseTableSpec(countingResultsSpec)), local);
    expect(sql).not.toContain("SET TimeZone");
  });

  it("pin a trigger whose home rule reads a timestamptz key as text", () => {
    const spec = parseTableSpec({
      name: "by_time",
      key: [{ name: "at", type: "timestamptz" }],
      columns: [{ name: "label", type: "text", crdt: "lww" }],
      home: {
        kind: "prefix",
        column: "at",
        prefixes: [{ prefix: "2026", region: "eu-west" }],
        otherwise: "us-east",
      },
    });
    expect(captureTriggerSql(stateLayout(spec), local)).toContain(CANONICAL_TEXT_FUNCTION_SET);
  });
});
