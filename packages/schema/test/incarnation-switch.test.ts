import { describe, expect, it } from "vitest";
import { countingResultsSpec, parseTableSpec, stateLayout } from "../src/index.ts";
import { captureTriggerSql } from "../src/sql/capture-trigger.ts";
import { switchIncarnationSql } from "../src/sql/incarnation-switch.ts";

const layout = stateLayout(parseTableSpec(countingResultsSpec));

describe("the incarnation switch", () => {
  const sql = switchIncarnationSql([layout], "us-east");

  it("is SECURITY DEFINER with a pinned search_path, executable by the capture role only", () => {
    expect(sql).toContain("SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $switch$");
    expect(sql).toMatch(/REVOKE ALL ON FUNCTION georep\.switch_incarnation\(.*\) FROM PUBLIC;/);
    expect(sql).toMatch(
      /GRANT EXECUTE ON FUNCTION georep\.switch_incarnation\(.*\) TO georep_reader;/,
    );
    // Its own body must not end inside a template's $georep$-quoted body.
    expect(sql.split("$switch$")).toHaveLength(3);
  });

  it("compiles to what the installer compiles once the placeholders are replaced", () => {
    // The template as the function holds it, with the replacement the function makes.
    const template = /EXECUTE replace\(replace\(\$tpl\$([\s\S]*?)\$tpl\$/.exec(sql)?.[1] ?? "";
    const compiled = template
      .replaceAll("'__georep_replica__'", "'us-east.1764700000'")
      .replaceAll("7777777777777777777", "1234567");
    expect(compiled).not.toContain("__georep_replica__");
    expect(compiled).toBe(
      captureTriggerSql(layout, { replica: "us-east.1764700000", stampFloor: 1234567n }),
    );
  });

  it("accepts only a new incarnation of the database's own region", () => {
    expect(sql).toContain("IF g__replica IS DISTINCT FROM g__region || '.' || g__incarnation");
    expect(sql).toContain("OR g__incarnation <= (SELECT coalesce(max(incarnation), 0)");
  });
});
