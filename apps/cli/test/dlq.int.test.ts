// `georep dlq list / replay`, run as an operator would, on a region with one set-aside row.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RowsEnvelope } from "@georep/contract";
import { closeCliRegions, cliRegions } from "./cli-regions.ts";
import type { CliRegion } from "./cli-regions.ts";
import { georep } from "@georep/testkit";

let regions: CliRegion[] = [];
const us = (): CliRegion => regions[0] as CliRegion;
const STAMP = String(BigInt(Date.now()) << 16n);

const envelope: RowsEnvelope = {
  v: 1,
  kind: "rows",
  origin: "eu-west",
  lsn: "0/1",
  commitTime: Date.now(),
  rows: [
    {
      table: "public.counting_results",
      key: { camera_id: "cam-q", bucket: "2026-01-01 00:00:00+00" },
      zone: null,
      counters: { people_in__p: "5", people_out__p: "0", vehicle_in__p: "0", vehicle_out__p: "0" },
      registers: { model_version: { v: "m-bad", t: STAMP } },
      ins: STAMP,
      del: null,
      delBase: null,
    },
  ],
};

beforeAll(async () => {
  regions = await cliRegions("dlq", ["us-east", "eu-west"]);
  // A constraint only us-east has refused the row: it sits in the quarantine.
  await us().client.query(
    "ALTER TABLE counting_results ADD CONSTRAINT no_bad_model CHECK (model_version IS DISTINCT FROM 'm-bad')",
  );
  await us().client.query(
    `INSERT INTO georep.quarantine (table_name, row_key, origin, reason, sql_state, detail, source, envelope)
     VALUES ('public.counting_results', 'public.counting_results {"camera_id":"cam-q"}', 'eu-west', 'rejected', '23514',
             'violates check constraint', 'georep.eu-west/0/7', $1::jsonb)`,
    [JSON.stringify(envelope)],
  );
});

afterAll(async () => {
  await closeCliRegions(regions);
});

it("lists set-aside rows, keeps them while the cause stands, merges them once it is fixed", async () => {
  const list = await georep("dlq", "list", "--config", us().config, "--json");
  expect(list.code).toBe(0);
  const listed = JSON.parse(list.stdout) as { entries: Array<Record<string, unknown>> };
  expect(listed.entries).toMatchObject([
    { origin: "eu-west", reason: "rejected", sqlState: "23514", source: "georep.eu-west/0/7" },
  ]);
  const table = await georep("dlq", "list", "--config", us().config);
  expect(table.stdout).toMatch(/quarantine of us-east: 1 row/);

  const refused = await georep("dlq", "replay", "--config", us().config, "--json");
  expect(refused.code).toBe(1);
  expect(JSON.parse(refused.stdout)).toMatchObject({ merged: 0, kept: [{ attempts: 1 }] });

  await us().client.query("ALTER TABLE counting_results DROP CONSTRAINT no_bad_model");
  const replayed = await georep("dlq", "replay", "--config", us().config, "--reason", "rejected");
  expect(replayed.code).toBe(0);
  expect(replayed.stdout).toMatch(/1 merged, 0 still set aside/);
  const again = await georep("dlq", "replay", "--config", us().config, "--json");
  expect(JSON.parse(again.stdout)).toMatchObject({ merged: 0, kept: [] });
  const { rows } = await us().client.query<{ people_in: string; model_version: string }>(
    "SELECT people_in::text, model_version FROM counting_results WHERE camera_id = 'cam-q'",
  );
  expect(rows).toEqual([{ people_in: "5", model_version: "m-bad" }]);
});

it("refuses an unknown reason as a usage error naming the flag", async () => {
  const run = await georep("dlq", "list", "--config", us().config, "--reason", "nope");
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(
    /--reason must be one of rejected, schema-mismatch, clock-skew, lock-timeout/,
  );
});
