// The operator's read commands, run as the CLI a person would run: status, verify, conflicts.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropReplicationSlot, uniqueName } from "@georep/testkit";
import { closeCliRegions, cliRegions } from "./cli-regions.ts";
import type { CliRegion } from "./cli-regions.ts";
import { georep } from "@georep/testkit";

const REGIONS = ["us-east", "eu-west"] as const;

describe("georep status, verify and conflicts", () => {
  let regions: CliRegion[] = [];
  const slot = uniqueName("cli_slot");
  const slotOf = (region: string): string => `${slot}_${region.replace("-", "_")}`;
  const of = (region: string): CliRegion => {
    const r = regions.find((x) => x.region === region);
    if (r === undefined) throw new Error(`no region ${region}`);
    return r;
  };
  const client = (region: string): pg.Client => of(region).client;

  beforeAll(async () => {
    regions = await cliRegions("operate", REGIONS, {
      config: (region) => ({
        slotName: slotOf(region),
        // Wide levels: each CLI run takes seconds on a loaded machine.
        lagWarningSeconds: 300,
        lagCriticalSeconds: 3600,
      }),
    });
  });
  afterAll(async () => {
    for (const r of regions) await dropReplicationSlot(r.client, slotOf(r.region));
    await closeCliRegions(regions);
  });

  it("status: a missing slot, then the slot, and lag levels from the progress table", async () => {
    const config = of("us-east").config;
    const before = await georep("status", "--config", config, "--json");
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({
      region: "us-east",
      slot: null,
      // Nothing ever applied from eu-west: unknown lag is critical, not "ok".
      origins: [{ origin: "eu-west", lagSeconds: null, level: "critical" }],
    });

    await client("us-east").query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [
      `${slot}_us_east`,
    ]);
    await client("us-east").query(
      `INSERT INTO georep.progress (topic, partition, origin, kafka_offset, source_commit_time)
       VALUES ('georep.eu-west', 0, 'eu-west', 10, clock_timestamp() - interval '1000 seconds')`,
    );
    const after = JSON.parse((await georep("status", "--config", config, "--json")).stdout) as {
      slot: { active: boolean; walStatus: string } | null;
      origins: Array<{ origin: string; lagSeconds: number; level: string }>;
    };
    expect(after.slot).toMatchObject({ active: false, walStatus: "reserved" });
    expect(after.origins).toHaveLength(1);
    expect(after.origins[0]?.level).toBe("warning");
    expect(after.origins[0]?.lagSeconds).toBeGreaterThanOrEqual(1000);

    await client("us-east").query(
      "UPDATE georep.progress SET source_commit_time = clock_timestamp() - interval '2 seconds'",
    );
    const fresh = JSON.parse((await georep("status", "--config", config, "--json")).stdout) as {
      origins: Array<{ level: string }>;
    };
    expect(fresh.origins[0]?.level).toBe("ok");
  });

  it("status: a table for people without --json, JSON with the documented fields with it", async () => {
    const config = of("us-east").config;
    const json = await georep("status", "--config", config, "--json");
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as {
      slot: Record<string, unknown>;
      origins: Array<Record<string, unknown>>;
    };
    expect(Object.keys(report).sort()).toEqual(["origins", "region", "slot"]);
    expect(Object.keys(report.slot).sort()).toEqual([
      "active",
      "confirmedLsn",
      "name",
      "retainedBytes",
      "walStatus",
    ]);
    expect(report.slot).toMatchObject({ name: `${slot}_us_east`, active: false });
    expect(report.slot["confirmedLsn"]).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(report.slot["retainedBytes"]).toMatch(/^\d+$/);
    expect(report.origins.map((o) => Object.keys(o).sort())).toEqual([
      ["lagSeconds", "lastCommit", "level", "origin"],
    ]);
    expect(report.origins[0]).toMatchObject({ origin: "eu-west", level: "ok" });
    expect(typeof report.origins[0]?.["lagSeconds"]).toBe("number");

    const human = await georep("status", "--config", config);
    expect(human.code).toBe(0);
    expect(() => JSON.parse(human.stdout) as unknown).toThrow();
    expect(human.stdout).toMatch(/^region +us-east$/m);
    expect(human.stdout).toMatch(new RegExp(`^slot +${slot}_us_east$`, "m"));
    expect(human.stdout).toMatch(/^ORIGIN +LAG +LAST COMMIT +LEVEL$/m);
    expect(human.stdout).toMatch(/^eu-west +\d+\.\d s +\S.* +ok$/m);
  });

  it("verify: identical regions exit 0; a row in one region only is named, with exit code 1", async () => {
    const args = ["verify", "--config", of("us-east").config, of("eu-west").config, "--json"];
    const same = await georep(...args);
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toEqual({
      identical: true,
      tables: [
        {
          table: "public.counting_results",
          rows: { "us-east": 0, "eu-west": 0 },
          mismatchedRanges: [],
        },
      ],
      differences: [],
    });
    const sameHuman = await georep(...args.slice(0, -1));
    expect(sameHuman.code).toBe(0);
    expect(sameHuman.stdout).toMatch(/^TABLE +ROWS US-EAST +ROWS EU-WEST +RANGES DIFFERING$/m);
    expect(sameHuman.stdout).toMatch(/^public\.counting_results +0 +0 +0$/m);
    expect(sameHuman.stdout).toContain("regions identical");

    await client("eu-west").query(
      "INSERT INTO counting_results (camera_id, bucket, people_in) VALUES ('cam-only-eu', '2026-11-22T10:00:00Z', 3)",
    );
    const diverged = await georep(...args);
    expect(diverged.code).toBe(1);
    const report = JSON.parse(diverged.stdout) as {
      identical: boolean;
      differences: Array<{
        table: string;
        key: string;
        rows: Record<string, string>;
        components: Record<string, unknown>;
      }>;
    };
    expect(report.identical).toBe(false);
    expect(report.differences).toHaveLength(1);
    expect(report.differences[0]?.table).toBe("public.counting_results");
    expect(report.differences[0]?.key).toContain("cam-only-eu");
    // JSON leaves out the region whose row is absent.
    const rows = report.differences[0]?.rows ?? {};
    expect(Object.keys(rows)).toEqual(["eu-west"]);
    expect(rows["eu-west"]).toContain("cam-only-eu");
    expect(Object.keys(report.differences[0]?.components ?? {}).sort()).toEqual([
      "eu-west",
      "us-east",
    ]);

    // Without --json: the same verdict and exit code, as tables.
    const human = await georep(...args.slice(0, -1));
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^public\.counting_results +0 +1 +1$/m);
    expect(human.stdout).toMatch(/cam-only-eu.*\(absent\)/);
    expect(human.stdout).toContain("regions differ");
  });

  it("conflicts: counts and the newest entries in the window, filtered by table", async () => {
    const config = of("us-east").config;
    await client("us-east").query(
      `INSERT INTO georep.conflicts (table_name, row_key, column_name, winner_value, winner_stamp,
         winner_region, loser_value, loser_stamp, loser_region, recorded_at)
       VALUES
         ('public.counting_results', '{"camera_id":"cam-1"}', 'status', 'ok', 200, 'eu-west', 'down', 100, 'us-east', clock_timestamp() - interval '3 days'),
         ('public.counting_results', '{"camera_id":"cam-1"}', 'status', 'ok', 400, 'eu-west', 'down', 300, 'us-east', clock_timestamp() - interval '2 minutes'),
         ('public.counting_results', '{"camera_id":"cam-2"}', 'model_version', 'm2', 500, 'us-east', 'm1', 450, 'eu-west', clock_timestamp() - interval '1 minute'),
         ('public.other', '{"id":"x"}', 'status', 'a', 600, 'us-east', 'b', 550, 'eu-west', clock_timestamp())`,
    );
    const day = await georep(
      "conflicts",
      "--config",
      config,
      "--table",
      "public.counting_results",
      "--json",
    );
    expect(day.code).toBe(0);
    const report = JSON.parse(day.stdout) as {
      counts: unknown[];
      entries: Array<{ column: string; winner: { stamp: string }; loser: { region: string } }>;
    };
    // The 3-day-old entry is outside the default one-day window; public.other is filtered out.
    expect(report.counts).toEqual([
      { table: "public.counting_results", column: "model_version", conflicts: 1 },
      { table: "public.counting_results", column: "status", conflicts: 1 },
    ]);
    expect(report.entries.map((e) => [e.column, e.winner.stamp, e.loser.region])).toEqual([
      ["model_version", "500", "eu-west"],
      ["status", "400", "us-east"],
    ]);

    const limited = await georep("conflicts", "--config", config, "--limit", "1", "--json");
    expect((JSON.parse(limited.stdout) as { entries: unknown[] }).entries).toHaveLength(1);
    const week = await georep(
      "conflicts",
      "--config",
      config,
      "--since-minutes",
      "10080",
      "--json",
    );
    expect((JSON.parse(week.stdout) as { entries: unknown[] }).entries).toHaveLength(4);

    const human = await georep("conflicts", "--config", config, "--table", "public.other");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^TABLE +COLUMN +CONFLICTS$/m);
    expect(human.stdout).toMatch(/^public\.other +status +1$/m);
    expect(human.stdout).toMatch(/^RECORDED AT +TABLE +KEY +COLUMN +WINNER +LOSER$/m);
    expect(human.stdout).toContain("a (us-east, stamp 600)");
  });

  it("conflicts: a bad flag fails with the flag and the fix, before connecting", async () => {
    const bad = await georep("conflicts", "--config", of("us-east").config, "--limit", "0");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--limit must be between 1 and 10000");
    const table = await georep(
      "conflicts",
      "--config",
      of("us-east").config,
      "--table",
      "counting_results; drop",
    );
    expect(table.code).toBe(2);
    expect(table.stderr).toContain("--table must be schema.table");
  });
});
