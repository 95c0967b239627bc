// `georep repair` as an operator runs it: three regions whose databases hold different parts of
// the truth (nothing was ever exchanged, and one region started a new incarnation), repaired
// without choosing a winner. One database runs in another time zone: keys of type timestamptz
// and the digests must not depend on it.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countingResultsSpec, startIncarnation } from "@georep/schema";
import { closeCliRegions, cliRegions } from "./cli-regions.ts";
import type { CliRegion } from "./cli-regions.ts";
import { georep } from "@georep/testkit";

const REGIONS = ["us-east", "eu-west", "ap-south"] as const;

describe("georep repair", () => {
  let regions: CliRegion[] = [];
  const clients: pg.Client[] = [];
  const configs: string[] = [];
  /** camera -> people_in committed, over all regions. */
  const truth = new Map<string, number>();

  const write = async (i: number, camera: string, n: number): Promise<void> => {
    const c = clients[i] as pg.Client;
    await c.query(
      `INSERT INTO counting_results (camera_id, bucket, people_in, home_region)
       VALUES ($1, '2026-12-01 10:00:00+00', $2, $3)
       ON CONFLICT (camera_id, bucket) DO UPDATE SET people_in = counting_results.people_in + excluded.people_in`,
      [camera, n, REGIONS[i]],
    );
    truth.set(camera, (truth.get(camera) ?? 0) + n);
  };

  beforeAll(async () => {
    regions = await cliRegions("repair", REGIONS, {
      // One database in another time zone: timestamptz keys and digests must not depend on it.
      prepare: async (db) => {
        if (db.regionId !== "ap-south") return;
        const admin = new pg.Client({ connectionString: db.url });
        await admin.connect();
        await admin.query(`ALTER DATABASE ${db.name} SET TimeZone = 'Asia/Kolkata'`);
        await admin.end();
      },
    });
    clients.push(...regions.map((r) => r.client));
    configs.push(...regions.map((r) => r.config));
  });
  afterAll(async () => {
    await closeCliRegions(regions);
  });

  it("refuses a bad flag before connecting, naming it", async () => {
    const out = await georep(
      "repair",
      ...configs.flatMap((c) => ["--config", c]),
      "--buckets",
      "0",
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--buckets must be between 1 and 65536/);
  });

  it("brings every region every origin's and incarnation's state, exactly, and is idempotent", async () => {
    for (let k = 0; k < 40; k++) await write(k % 3, `cam-${k % 7}`, 1 + (k % 5));
    // us-east starts a new incarnation: its earlier component must survive next to the new one.
    const target = clients[0] as pg.Client;
    await startIncarnation(
      target,
      { region: "us-east", tables: [countingResultsSpec] },
      "test",
      Date.now(),
    );
    for (let k = 0; k < 10; k++) await write(0, `cam-${k % 3}`, 2);

    const first = await georep("repair", ...configs.flatMap((c) => ["--config", c]), "--json");
    expect(first.stderr).not.toMatch(/Error/);
    expect(first.code, first.stdout).toBe(0);
    const report = JSON.parse(first.stdout) as {
      identical: boolean;
      repaired: Array<{ target: string; rowsMerged: number }>;
    };
    expect(report.identical).toBe(true);
    expect(report.repaired.map((r) => r.target)).toEqual([...REGIONS]);
    expect(report.repaired.every((r) => r.rowsMerged > 0)).toBe(true);

    for (const c of clients) {
      const { rows } = await c.query<{ camera_id: string; n: string }>(
        "SELECT camera_id, people_in::text AS n FROM counting_results ORDER BY camera_id",
      );
      expect(Object.fromEntries(rows.map((r) => [r.camera_id, Number(r.n)]))).toEqual(
        Object.fromEntries([...truth].sort()),
      );
    }
    const origins = await target.query<{ origin: string }>(
      "SELECT DISTINCT origin FROM georep.state__public__counting_results WHERE origin LIKE 'us-east%' ORDER BY 1",
    );
    expect(origins.rows.map((r) => r.origin)).toEqual([
      "us-east",
      expect.stringMatching(/^us-east\.\d+$/),
    ]);
    const marked = await target.query<{ repaired: boolean }>(
      "SELECT repaired_at IS NOT NULL AS repaired FROM georep.incarnations ORDER BY incarnation DESC LIMIT 1",
    );
    expect(marked.rows[0]?.repaired).toBe(true);

    const again = await georep("repair", ...configs.flatMap((c) => ["--config", c]), "--json");
    const second = JSON.parse(again.stdout) as { repaired: Array<{ rowsMerged: number }> };
    expect(second.repaired.map((r) => r.rowsMerged)).toEqual([0, 0, 0]);

    // Without --json (and not on a terminal: no bar): a table per region, source and table.
    const human = await georep("repair", ...configs.flatMap((c) => ["--config", c]));
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(
      /^REGION +FROM +TABLE +RANGES DIFFERING +STATE ROWS MERGED +CHANGED$/m,
    );
    expect(human.stdout).toMatch(/^us-east +eu-west +public\.counting_results +0\/\d+ +0 +0$/m);
    expect(human.stdout).toMatch(/^regions identical after \d+\.\d s$/m);
    expect(human.stderr).toBe("");
  });
});
