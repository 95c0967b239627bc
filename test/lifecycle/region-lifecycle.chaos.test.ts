import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroundTruth } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { originTopic } from "@georep/contract";
import {
  createTestDatabase,
  georep,
  testKafka,
  readEndpoints,
  replicatorProcess,
  waitFor,
} from "@georep/testkit";
import { chaosRegions, writeRound } from "../chaos/chaos-regions.ts";
import type { ChaosRegion, ChaosRegions } from "../chaos/chaos-regions.ts";
import { regionsExact } from "../chaos/exact-regions.ts";

/**
 * Issue 10, parts 1, 2 and 4: a fourth region joins three that hold data and keep writing; a
 * region whose database is dropped is rebuilt from its peers under its own id; a region is
 * removed for good. Every step ends with every live region identical and every total exact
 * (the removed region's counts included: its components stay).
 */
describe("region lifecycle: add, rebuild, remove", () => {
  const { seed } = propertyConfig();
  const dir = mkdtempSync(join(tmpdir(), "georep-lifecycle-"));
  const extra = { membershipCheckIntervalMs: 1_000 };
  let chaos: ChaosRegions;
  const added: ChaosRegion[] = [];
  const truth = new GroundTruth();
  let round = 0;

  /** Writes a config file for `r` as an operator would keep it. */
  const configFile = async (
    r: { id: string; db: { url: string } },
    regions: string[],
    name = `${r.id}-${round}`,
  ) => {
    const path = join(dir, `${name}.json`);
    const base = await chaos.config(r as ChaosRegion, extra);
    writeFileSync(path, JSON.stringify({ ...base, regions: regions.map((id) => ({ id })) }));
    return { path, config: { ...base, regions: regions.map((id) => ({ id })) } };
  };
  const write = (regions: readonly ChaosRegion[], operations: number) =>
    writeRound(regions, { seed, round: round++, operations, cameras: 4, truth });
  const exact = (regions: readonly ChaosRegion[], what: string) =>
    waitFor(() => regionsExact(regions, truth), {
      description: `${what}: regions identical with exact totals (seed ${seed})`,
      timeoutMs: 120_000,
      intervalMs: 500,
    });

  /** Runs `georep …args`, which must succeed; returns what it printed. */
  const succeeds = async (...args: string[]): Promise<string> => {
    const run = await georep(...args);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    return run.stdout;
  };
  /** Starts the replicator of a region added or rebuilt by the test (closed in afterAll). */
  const startRegion = async (
    id: string,
    db: ChaosRegion["db"],
    config: Record<string, unknown>,
  ): Promise<ChaosRegion> => {
    const proc = replicatorProcess(id, config);
    const region = { id, db, pool: new pg.Pool({ connectionString: db.url, max: 4 }), proc };
    added.push(region);
    await proc.start();
    return region;
  };

  beforeAll(async () => {
    chaos = await chaosRegions({ stack: "plain", prefix: "lc", extra });
    for (const r of chaos.regions) await r.proc.start();
  });

  afterAll(async () => {
    for (const r of added) {
      await r.proc.stop();
      await r.pool.end();
      await r.db.drop();
    }
    await chaos.close();
  });

  /** Deletes every record of the regions' topics so far, as retention would. */
  const expire = async (regions: readonly ChaosRegion[]) => {
    const admin = testKafka("georep-lifecycle").admin();
    await admin.connect();
    try {
      for (const r of regions) {
        const topic = originTopic(r.id);
        const ends = await admin.fetchTopicOffsets(topic);
        await admin.deleteTopicRecords({
          topic,
          partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
        });
      }
    } finally {
      await admin.disconnect();
    }
  };

  it(`adds a fourth region while three write (seed ${seed})`, async () => {
    const three = chaos.regions;
    await write(three, 300);
    // Round 0 is in every region's state and no longer in Kafka: only the snapshot brings it.
    await exact(three, "before the add");
    await expire(three);
    const id = `${three[0]?.id.split("-")[0] ?? "lc"}-r4`;
    const ids = [...three.map((r) => r.id), id];
    const db = await createTestDatabase(readEndpoints().regions[0]?.id ?? "us-east", "lc");
    const fourth = { id, db };
    const files = await Promise.all([...three, fourth].map((r) => configFile(r, ids)));
    const writing = write(three, 400);
    const out = await succeeds(
      "region",
      "add",
      "--region",
      id,
      "--config",
      ...files.map((f) => f.path),
    );
    expect(out).toMatch(/state rows copied/);
    await writing;
    // Bad input changes nothing: the id exists now.
    const again = await georep(
      "region",
      "add",
      "--region",
      id,
      "--config",
      ...files.map((f) => f.path),
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);

    const region = await startRegion(
      id,
      db,
      (files[3] as { config: Record<string, unknown> }).config,
    );
    await write([...three, region], 300);
    await exact([...three, region], "after the fourth region joined");
  });

  it(`rebuilds a region whose database was dropped (seed ${seed})`, async () => {
    const all = [...chaos.regions, ...added];
    const lost = all[2] as ChaosRegion;
    const others = all.filter((r) => r !== lost);
    await lost.proc.kill9();
    await lost.pool.end();
    await lost.db.drop(); // chaos.close() drops it again: IF EXISTS
    await write(others, 300);
    const db = await createTestDatabase(readEndpoints().regions[2]?.id ?? "ap-south", "lc");
    const ids = all.map((r) => r.id);
    const files = await Promise.all(
      [{ id: lost.id, db }, ...others].map((r) => configFile(r, ids)),
    );
    // Into a database that holds data (a config pointing at a live peer's): refused.
    const busy = await configFile({ id: lost.id, db: (others[0] as ChaosRegion).db }, ids, "busy");
    const refused = await georep(
      "region",
      "rebuild",
      "--region",
      lost.id,
      "--config",
      busy.path,
      ...files.slice(1).map((f) => f.path),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already holds data/);

    await succeeds(
      "region",
      "rebuild",
      "--region",
      lost.id,
      "--config",
      ...files.map((f) => f.path),
    );
    const rebuilt = await startRegion(
      lost.id,
      db,
      (files[0] as { config: Record<string, unknown> }).config,
    );
    const now = [...others, rebuilt];
    await write(now, 300);
    await exact(now, "after the rebuild");
  });

  it("removes a region for good; its counts stay", async () => {
    const live = [...chaos.regions.filter((r) => r !== chaos.regions[2]), ...added];
    const leaving = live.find((r) => r.id.endsWith("-r4")) as ChaosRegion;
    const staying = live.filter((r) => r !== leaving);
    const ids = live.map((r) => r.id);
    const files = await Promise.all(live.map((r) => configFile(r, ids)));
    await exact(live, "before the removal");
    await leaving.proc.stop();
    const out = await succeeds(
      "region",
      "remove",
      "--region",
      leaving.id,
      "--config",
      ...files.map((f) => f.path),
    );
    expect(out).toMatch(/consumer group: deleted; slot: dropped/);
    for (const r of staying) {
      const { rows } = await r.pool.query<{ removed: boolean }>(
        "SELECT removed_at IS NOT NULL AS removed FROM georep.regions WHERE id = $1",
        [leaving.id],
      );
      expect(rows[0]?.removed).toBe(true);
    }
    await write(staying, 300);
    await exact(staying, "after the removal");
  });
});
