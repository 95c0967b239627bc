// `georep repair` and the gaps the merger records (georep.gaps: records Kafka deleted before the
// region read them): a target's gap is marked repaired once its origin was one of the sources,
// and only then.
import { afterAll, beforeAll, expect, it } from "vitest";
import { repair } from "../src/commands/repair.ts";
import { closeCliRegions, cliRegions } from "./cli-regions.ts";
import type { CliRegion } from "./cli-regions.ts";

const REGIONS = ["us-east", "eu-west", "ap-south"] as const;
let regions: CliRegion[] = [];

beforeAll(async () => {
  regions = await cliRegions("repair_gaps", REGIONS);
});
afterAll(async () => {
  await closeCliRegions(regions);
});

it("marks the target's gaps from the regions it repaired from, and leaves the others", async () => {
  const [usEast, euWest] = regions as [CliRegion, CliRegion, CliRegion];
  await usEast.client.query(
    `INSERT INTO counting_results (camera_id, bucket, people_in, home_region)
     VALUES ('cam-gap', '2026-12-01 10:00:00+00', 7, 'us-east')`,
  );
  await euWest.client.query(
    `INSERT INTO georep.gaps (origin, topic, partition, from_offset, to_offset)
     VALUES ('us-east', 'georep.us-east', 2, 10, 19), ('ap-south', 'georep.ap-south', 0, 5, 5)`,
  );

  const report = await repair([usEast.config, euWest.config], {
    region: "eu-west",
    progress: false,
  });
  expect(report.identical).toBe(true);

  const { rows } = await euWest.client.query<{ origin: string; repaired: boolean }>(
    "SELECT origin, repaired_at IS NOT NULL AS repaired FROM georep.gaps ORDER BY origin",
  );
  expect(rows).toEqual([
    { origin: "ap-south", repaired: false },
    { origin: "us-east", repaired: true },
  ]);
  const { rows: counted } = await euWest.client.query<{ people_in: string }>(
    "SELECT people_in FROM counting_results WHERE camera_id = 'cam-gap'",
  );
  expect(counted).toEqual([{ people_in: "7" }]);
});
