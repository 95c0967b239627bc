import { describe, expect, it } from "vitest";
import {
  CANONICAL_TEXT_FUNCTION_SET,
  countingResultsSpec,
  parseTableSpec,
  stateLayout,
} from "@georep/schema";
import { conflictCandidatesSql, recordConflictsSql } from "../src/sql/conflicts.ts";
import { stagedRows } from "../src/sql/common.ts";
import { mergeCallSql, mergeFunctionSql } from "../src/sql/merge-function.ts";
import { stageParams } from "../src/sql/stage.ts";
import { upsertStateSql } from "../src/sql/state-upsert.ts";
import { stageEnvelopes } from "../src/staging.ts";

const layout = stateLayout(parseTableSpec(countingResultsSpec));
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("merge SQL", () => {
  it("stages every state column through one unnest of the function's text arrays", () => {
    const sql = stagedRows(layout);
    expect(sql).toContain("unnest(g__p1, g__p2,");
    expect(sql).toContain('x."bucket"::timestamptz');
    expect(sql).toContain('x."del__base"::jsonb');
    // 2 keys, origin, zone, 4 components, 3 registers × 2, ins, del, base, born; a flag; 7 progress arrays (the last: the fence)
    expect(mergeCallSql(layout).match(/\$\d+::/g)?.length).toBe(18 + 1 + 7);
  });

  it("runs every step in one VOLATILE plpgsql function with index probes forced", () => {
    const fn = mergeFunctionSql(layout);
    expect(fn).toContain('CREATE OR REPLACE FUNCTION pg_temp."merge__public__counting_results"(');
    expect(fn).toContain("LANGUAGE plpgsql VOLATILE SET enable_seqscan = off");
    // Register values and keys arrive as text: cast back whatever the merger session's settings.
    expect(fn).toContain(CANONICAL_TEXT_FUNCTION_SET);
    expect(fn).toContain("#variable_conflict use_column");
    // User rows are locked and written only through the installed user-row functions.
    expect(fn).not.toMatch(/(INSERT INTO|UPDATE|DELETE FROM) "public"/);
    const order = [
      'PERFORM georep."ulock__public__counting_results"(g__k1, g__k2)',
      'INSERT INTO georep."state__',
      'g__written := georep."uwrite__public__counting_results"(g__k1, g__k2)',
    ];
    const at = order.map((s) => fn.indexOf(s));
    expect(at.every((x) => x > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it("upserts state by the core's state-row rules, skipping no-op updates", () => {
    const sql = upsertStateSql(layout);
    const newer = (stamp: string): string =>
      `(excluded.${stamp} IS NOT NULL AND (s.${stamp} IS NULL OR excluded.${stamp} > s.${stamp}))`;
    // replaces: a later lifetime takes every field, an earlier one none; the rules below merge
    // within one lifetime.
    const lifetime = (column: string, within: string): string =>
      `${column} = CASE WHEN ${newer('"born__"')} THEN excluded.${column} WHEN excluded."born__" = s."born__" THEN ${within} ELSE s.${column} END`;
    // max: the component itself decides.
    expect(sql).toContain(
      lifetime('"people_in__p"', 'greatest(s."people_in__p", excluded."people_in__p")'),
    );
    // newer: the value goes with its stamp.
    expect(sql).toContain(
      lifetime(
        '"status__v"',
        `CASE WHEN ${newer('"status__t"')} THEN excluded."status__v" ELSE s."status__v" END`,
      ),
    );
    // The tombstone merges across lifetimes (ACROSS_LIFETIMES): a later birth does not erase it.
    expect(sql).toContain(
      `"del__base" = CASE WHEN ${newer('"del__t"')} THEN excluded."del__base" ELSE s."del__base" END`,
    );
    expect(sql).toMatch(new RegExp(`\\)\\) OR ${escape(newer('"del__t"'))}$`));
    expect(sql).toContain('"born__" = greatest(s."born__", excluded."born__")');
    // follows-newest: the zone goes with the greatest stamp, ties by code point.
    expect(sql).toMatch(
      /THEN CASE WHEN \(coalesce\(greatest\(excluded\.[^]*THEN excluded\."zone" ELSE s\."zone" END/,
    );
    expect(sql).toContain('excluded.zone COLLATE "C"');
    expect(sql).toMatch(/ON CONFLICT \("camera_id", "bucket", origin\)/);
    expect(sql).toContain(
      `WHERE /* replaces */ ${newer('"born__"')} OR (excluded."born__" = s."born__" AND ((excluded."people_in__p" IS NOT NULL AND (s."people_in__p" IS NULL OR excluded."people_in__p" > s."people_in__p")) OR`,
    );
  });

  it("reads the view per key through LATERAL … OFFSET 0 so the key reaches the index", () => {
    for (const sql of [conflictCandidatesSql(layout), recordConflictsSql(layout)]) {
      expect(sql).toMatch(
        /CROSS JOIN LATERAL \(SELECT \* FROM georep\."visible__public__counting_results" vv WHERE vv\."camera_id" = t\."camera_id" AND vv\."bucket" = t\."bucket" OFFSET 0\)/,
      );
    }
  });

  it("coalesces duplicate slices of one key and origin before staging", () => {
    const slice = (hits: string, t: string, v: string) => ({
      table: "public.counting_results",
      key: { camera_id: "c", bucket: "2024-01-01 00:00:00+00" },
      zone: null,
      counters: { people_in__p: hits },
      registers: { status: { v, t } },
      ins: t,
      del: null,
      delBase: null,
    });
    const env = (s: ReturnType<typeof slice>[]) => ({
      v: 1 as const,
      kind: "rows" as const,
      origin: "eu",
      lsn: "0/1",
      commitTime: 0,
      rows: s,
    });
    const staged = stageEnvelopes(
      [env([slice("5", "20", "new")]), env([slice("3", "10", "old"), slice("4", "30", "newest")])],
      new Map([["public.counting_results", layout]]),
    );
    const rows = [...(staged.get("public.counting_results")?.values() ?? [])];
    expect(rows).toHaveLength(1);
    const params = stageParams(layout, rows);
    expect(params[4]).toEqual(["5"]); // people_in__p: max
    const statusAt = 2 + 2 + 4 + 2 * 1; // keys, origin/zone, 4 components, model_version v/t
    expect(params[statusAt]).toEqual(["newest"]);
    expect(params[statusAt + 1]).toEqual(["30"]);
    expect(params[8]).toEqual([null]); // model_version__v never written
  });
});
