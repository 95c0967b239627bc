import { describe, expect, it } from "vitest";
import { countingResultsSpec, parseTableSpec, stateLayout } from "../src/index.ts";
import {
  insertMissingUserRowsSql,
  lockUserRowsSql,
  rewriteUserRowsSql,
  userRowFunctionsSql,
} from "../src/sql/user-row-functions.ts";

const layout = stateLayout(parseTableSpec(countingResultsSpec));

describe("user-row functions", () => {
  it("are SECURITY DEFINER with a pinned search_path, executable by the merge role only", () => {
    const sql = userRowFunctionsSql(layout);
    const headers = sql.match(/CREATE OR REPLACE FUNCTION [^$]*\$georep\$/g) ?? [];
    expect(headers).toHaveLength(2);
    for (const h of headers) {
      expect(h).toContain("SECURITY DEFINER");
      // pg_temp is never searched for functions or operators: nothing a caller makes is found.
      expect(h).toContain("SET search_path = pg_catalog, pg_temp");
    }
    expect(sql).toContain(
      'REVOKE ALL ON FUNCTION georep."ulock__public__counting_results"(text[], timestamptz[]) FROM PUBLIC;',
    );
    expect(sql).toContain(
      'GRANT EXECUTE ON FUNCTION georep."uwrite__public__counting_results"(text[], timestamptz[]) TO georep_merger;',
    );
    // Owned by a role with user-table rights only: user triggers never run as the installer.
    expect(sql).toContain(
      'ALTER FUNCTION georep."uwrite__public__counting_results"(text[], timestamptz[]) OWNER TO georep_rowwriter;',
    );
    // Nothing session-local: a temp object the caller made would run with the owner's rights.
    expect(sql).not.toContain("pg_temp.");
    // Their writes are merged state, whoever calls them.
    expect(sql).toContain("set_config('georep.applying', 'on', true)");
  });

  it("locks user rows in key order before anything is written", () => {
    expect(lockUserRowsSql(layout)).toMatch(
      /ORDER BY u\."camera_id", u\."bucket" FOR UPDATE OF u$/,
    );
  });

  it("reads the view per key through LATERAL … OFFSET 0 so the key reaches the index", () => {
    for (const sql of [insertMissingUserRowsSql(layout), rewriteUserRowsSql(layout)]) {
      expect(sql).toMatch(
        /CROSS JOIN LATERAL \(SELECT \* FROM georep\."visible__public__counting_results" vv WHERE vv\."camera_id" = t\."camera_id" AND vv\."bucket" = t\."bucket" OFFSET 0\)/,
      );
    }
  });

  it("inserts missing rows with a locking no-op on conflict, and rewrites only rows that differ", () => {
    expect(insertMissingUserRowsSql(layout)).toMatch(
      /ON CONFLICT \("camera_id", "bucket"\) DO UPDATE SET "camera_id" = u\."camera_id"$/,
    );
    const rewrite = rewriteUserRowsSql(layout);
    expect(rewrite).toContain('ROW(u."people_in"');
    expect(rewrite).toContain('IS DISTINCT FROM ROW(v."people_in"');
    expect(rewrite).toContain("NOT v.alive__");
  });
});
