import { describe, expect, it } from "vitest";
import { countingResultsSpec, parseTableSpec, stateLayout } from "../src/index.ts";
import { captureTriggerSql } from "../src/sql/capture-trigger.ts";
import { switchIncarnationSql } from "../src/sql/incarnation-switch.ts";
import { ownOriginGuardSql } from "../src/sql/own-origin-guard.ts";
import { publicationSql } from "../src/sql/publication.ts";

const layout = stateLayout(parseTableSpec(countingResultsSpec));

describe("the incarnation switch", () => {
  const sql = switchIncarnationSql([layout], "us-east");

  it("is SECURITY DEFINER with a pinned search_path, executable by the capture role only", () => {
    expect(sql).toContain(
      "SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '10s' AS $switch$",
    );
    expect(sql).toMatch(
      /REVOKE ALL ON FUNCTION georep\.switch_incarnation\(text, bigint, text, bigint\) FROM PUBLIC;/,
    );
    expect(sql).toMatch(
      /GRANT EXECUTE ON FUNCTION georep\.switch_incarnation\(.*\) TO georep_reader;/,
    );
    // Its own body must not end inside a template's $georep$-quoted body.
    expect(sql.split("$switch$")).toHaveLength(3);
  });

  it("compiles to what the installer compiles once the placeholders are replaced", () => {
    // Each template as the function holds it, with the replacement the function makes.
    const templates = [...sql.matchAll(/EXECUTE replace\(replace\(\$tpl\$([\s\S]*?)\$tpl\$/g)];
    const local = { replica: "us-east.1764700000", stampFloor: 1234567n };
    const compiled = templates.map((m) =>
      (m[1] ?? "")
        .replaceAll("'__georep_replica__'", "'us-east.1764700000'")
        .replaceAll("7777777777777777777", "1234567"),
    );
    for (const c of compiled) expect(c).not.toContain("__georep_replica__");
    expect(compiled).toEqual([
      captureTriggerSql(layout, local),
      ownOriginGuardSql(layout, local),
      publicationSql([layout], { region: "us-east", replica: local.replica }, true),
    ]);
  });

  it("accepts only a new incarnation of the database's own region", () => {
    expect(sql).toContain("IF g__replica IS DISTINCT FROM g__region || '.' || g__incarnation");
    expect(sql).toContain("OR g__incarnation <= (SELECT coalesce(max(incarnation), 0)");
    // Bounded: an incarnation about now, a floor from the past (a day's skew at most).
    expect(sql).toContain("OR g__incarnation > g__day_ahead");
    expect(sql).toContain("OR g__floor < 1 OR g__floor > (g__day_ahead * 1000) << 16");
    // A caller's spec hash is not trusted: the next schema apply recompiles.
    expect(sql).toContain("UPDATE georep.installed SET spec_hash = ''");
  });
});
