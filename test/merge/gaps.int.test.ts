// georep.gaps on a real database: a gap recorded twice is one row, counted each time it is found;
// marking repaired takes only the gaps listed before the repair; a gap found again with more
// offsets missing is unrepaired again; the gauge's counts name every other region.
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { originTopic } from "@georep/contract";
import { listUnrepairedGaps, markGapsRepaired, unrepairedGapCounts } from "@georep/merger";
import { createMergerMetrics, recordGap } from "@georep/merger/testing";
import { createMetrics, silentLogger } from "@georep/observability";
import type { RegionDb } from "./helpers.ts";
import { itemsSpec, setupRegionDb, testRegions } from "./helpers.ts";

const [origin, other, region] = testRegions(3) as [string, string, string];
const topic = originTopic(origin);
let db: RegionDb;
let pool: pg.Pool;

beforeAll(async () => {
  db = await setupRegionDb(
    "eu-west",
    "merge_gaps",
    region,
    [origin, other, region],
    [itemsSpec("gitems")],
  );
  pool = new pg.Pool({ connectionString: db.db.url, max: 2 });
});
afterAll(async () => {
  await pool.end();
  await db.close();
});

it("records, counts, marks and re-opens gaps", async () => {
  const metrics = createMetrics();
  const deps = { pool, metrics: createMergerMetrics(metrics), logger: silentLogger() };
  const gap = { origin, topic, partition: 3, fromOffset: 10n, toOffset: 19n };
  expect(await unrepairedGapCounts(pool)).toEqual(
    new Map([
      [origin, 0],
      [other, 0],
    ]),
  );

  await recordGap(deps, gap);
  await recordGap(deps, gap);
  expect(await listUnrepairedGaps(pool)).toMatchObject([gap]);
  expect(await metrics.render()).toContain(`georep_merge_gap_records_total{origin="${origin}"} 20`);
  expect((await unrepairedGapCounts(pool)).get(origin)).toBe(1);

  // Listed before a repair, then found again with more missing: not marked by that repair.
  const listed = await listUnrepairedGaps(pool);
  await recordGap(deps, { ...gap, toOffset: 24n });
  expect(await markGapsRepaired(pool, listed)).toBe(0);
  const again = await listUnrepairedGaps(pool);
  expect(again).toMatchObject([{ ...gap, toOffset: 24n }]);
  expect(await markGapsRepaired(pool, again)).toBe(1);
  expect((await unrepairedGapCounts(pool)).get(origin)).toBe(0);

  // Repaired, then found again with more missing (more deleted since): unrepaired again.
  await recordGap(deps, { ...gap, toOffset: 30n });
  expect(await listUnrepairedGaps(pool)).toMatchObject([{ ...gap, toOffset: 30n }]);
  // Found again with nothing more missing: stays repaired.
  await markGapsRepaired(pool, await listUnrepairedGaps(pool));
  await recordGap(deps, { ...gap, toOffset: 30n });
  expect(await listUnrepairedGaps(pool)).toEqual([]);
});
