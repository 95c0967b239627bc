// The operator's read commands, run as the CLI a person would run: status, verify, conflicts.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countingResultsSpec, installSchema, parseInstallConfig } from "@georep/schema";
import {
  createTestDatabase,
  dropReplicationSlot,
  readEndpoints,
  uniqueName,
} from "@georep/testkit";
import { georep } from "./run-cli.ts";
import type { TestDatabase } from "@georep/testkit";

const REGIONS = ["us-east", "eu-west"] as const;

describe("georep status, verify and conflicts", () => {
  const dbs = new Map<string, TestDatabase>();
  const clients = new Map<string, pg.Client>();
  const configs = new Map<string, string>();
  const slot = uniqueName("cli_slot");
  const client = (region: string): pg.Client => {
    const c = clients.get(region);
    if (c === undefined) throw new Error(`no client for ${region}`);
    return c;
  };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "georep-operate-"));
    const regions = REGIONS.map((id) => ({ id }));
    for (const region of REGIONS) {
      const db = await createTestDatabase(region, "operate");
      dbs.set(region, db);
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      clients.set(region, c);
      await installSchema(
        c,
        parseInstallConfig({ region, regions, tables: [countingResultsSpec] }),
      );
      const file = join(dir, `${region}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          region,
          regions,
          postgres: { url: db.url },
          kafka: { brokers: readEndpoints().kafka.brokers },
          tables: ["counting_results"],
          slotName: `${slot}_${region.replace("-", "_")}`,
          // Wide levels: each CLI run takes seconds on a loaded machine.
          lagWarningSeconds: 300,
          lagCriticalSeconds: 3600,
        }),
      );
      configs.set(region, file);
    }
  });
  afterAll(async () => {
    for (const [region, c] of clients) {
      await dropReplicationSlot(c, `${slot}_${region.replace("-", "_")}`);
      await c.end();
    }
    for (const db of dbs.values()) await db.drop();
  });

  it("status: a missing slot, then the slot, and lag levels from the progress table", async () => {
    const config = configs.get("us-east") ?? "";
    const before = await georep("status", "--config", config);
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
    const after = JSON.parse((await georep("status", "--config", config)).stdout) as {
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
    const fresh = JSON.parse((await georep("status", "--config", config)).stdout) as {
      origins: Array<{ level: string }>;
    };
    expect(fresh.origins[0]?.level).toBe("ok");
  });

  it("verify: identical regions exit 0; a row in one region only is named, with exit code 1", async () => {
    const args = ["verify", "--config", configs.get("us-east") ?? "", configs.get("eu-west") ?? ""];
    const same = await georep(...args);
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ identical: true, differences: [] });

    await client("eu-west").query(
      "INSERT INTO counting_results (camera_id, bucket, people_in) VALUES ('cam-only-eu', '2026-11-22T10:00:00Z', 3)",
    );
    const diverged = await georep(...args);
    expect(diverged.code).toBe(1);
    const report = JSON.parse(diverged.stdout) as {
      identical: boolean;
      differences: Array<{ table: string; key: string }>;
    };
    expect(report.identical).toBe(false);
    expect(report.differences).toHaveLength(1);
    expect(report.differences[0]?.table).toBe("public.counting_results");
    expect(report.differences[0]?.key).toContain("cam-only-eu");
  });

  it("conflicts: counts and the newest entries in the window, filtered by table", async () => {
    const config = configs.get("us-east") ?? "";
    await client("us-east").query(
      `INSERT INTO georep.conflicts (table_name, row_key, column_name, winner_value, winner_stamp,
         winner_region, loser_value, loser_stamp, loser_region, recorded_at)
       VALUES
         ('public.counting_results', '{"camera_id":"cam-1"}', 'status', 'ok', 200, 'eu-west', 'down', 100, 'us-east', clock_timestamp() - interval '3 days'),
         ('public.counting_results', '{"camera_id":"cam-1"}', 'status', 'ok', 400, 'eu-west', 'down', 300, 'us-east', clock_timestamp() - interval '2 minutes'),
         ('public.counting_results', '{"camera_id":"cam-2"}', 'model_version', 'm2', 500, 'us-east', 'm1', 450, 'eu-west', clock_timestamp() - interval '1 minute'),
         ('public.other', '{"id":"x"}', 'status', 'a', 600, 'us-east', 'b', 550, 'eu-west', clock_timestamp())`,
    );
    const day = await georep("conflicts", "--config", config, "--table", "public.counting_results");
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

    const limited = await georep("conflicts", "--config", config, "--limit", "1");
    expect((JSON.parse(limited.stdout) as { entries: unknown[] }).entries).toHaveLength(1);
    const week = await georep("conflicts", "--config", config, "--since-minutes", "10080");
    expect((JSON.parse(week.stdout) as { entries: unknown[] }).entries).toHaveLength(4);
  });

  it("conflicts: a bad flag fails with the flag and the fix, before connecting", async () => {
    const bad = await georep("conflicts", "--config", configs.get("us-east") ?? "", "--limit", "0");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--limit must be between 1 and 10000");
    const table = await georep(
      "conflicts",
      "--config",
      configs.get("us-east") ?? "",
      "--table",
      "counting_results; drop",
    );
    expect(table.code).toBe(2);
    expect(table.stderr).toContain("--table must be schema.table");
  });
});
