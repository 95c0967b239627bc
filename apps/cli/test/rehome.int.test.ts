import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKafka, createTestDatabase, readEndpoints } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { georep } from "@georep/testkit";

describe("georep rehome", () => {
  let db: TestDatabase;
  let client: pg.Client;
  let config: string;

  beforeAll(async () => {
    db = await createTestDatabase("us-east", "rehome");
    config = join(mkdtempSync(join(tmpdir(), "georep-rehome-")), "us-east.json");
    writeFileSync(
      config,
      JSON.stringify({
        region: "us-east",
        regions: readEndpoints().regions.map((r) => ({ id: r.id })),
        postgres: { url: db.url },
        kafka: devKafka(),
        tables: ["counting_results"],
      }),
    );
    const applied = await georep("schema", "apply", "--config", config);
    expect(applied.code, applied.stderr).toBe(0);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`INSERT INTO counting_results (camera_id, bucket, people_in, home_region)
      SELECT 'cam-' || i, '2026-11-22T10:00:00Z', i, CASE WHEN i % 2 = 0 THEN 'eu-west' ELSE 'ap-south' END
      FROM generate_series(1, 2500) i`);
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it("moves every row homed in the lost region, as stamped local writes that replicate", async () => {
    const before = await client.query<{ t: string }>(
      "SELECT max(home_region__t)::text AS t FROM georep.state__public__counting_results",
    );
    const rehomeEuWest = (...more: string[]) =>
      georep("rehome", "--config", config, "--from", "eu-west", "--to", "us-east", ...more);
    const moved = await rehomeEuWest("--json");
    expect(moved.code, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout)).toEqual([
      { table: "public.counting_results", from: "eu-west", to: "us-east", rows: 1250 },
    ]);
    const homes = await client.query<{ home_region: string; n: number }>(
      "SELECT home_region, count(*)::int AS n FROM counting_results GROUP BY 1 ORDER BY 1",
    );
    expect(homes.rows).toEqual([
      { home_region: "ap-south", n: 1250 },
      { home_region: "us-east", n: 1250 },
    ]);
    // Each move is this region's own register write, stamped above what the key had seen.
    const stamped = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM georep.state__public__counting_results
       WHERE origin = 'us-east' AND home_region__v = 'us-east' AND home_region__t > $1::bigint`,
      [before.rows[0]?.t],
    );
    expect(stamped.rows[0]?.n).toBe(1250);

    // Without --json: a table; nothing is left to move.
    const again = await rehomeEuWest();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^TABLE +FROM +TO +ROWS MOVED$/m);
    expect(again.stdout).toMatch(/^public\.counting_results +eu-west +us-east +0$/m);
  });

  it("refuses a region the config does not know, as a usage error", async () => {
    const out = await georep("rehome", "--config", config, "--from", "mars", "--to", "us-east");
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("region 'mars' is not in the config's regions");
  });
});
