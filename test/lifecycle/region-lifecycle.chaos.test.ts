import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroundTruth } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { originTopic } from "@georep/contract";
import { georep, replicatorProcess, waitFor } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { chaosRegions, writeRound } from "../chaos/chaos-regions.ts";
import type { ChaosRegion, ChaosRegions } from "../chaos/chaos-regions.ts";
import { regionsExact } from "../chaos/exact-regions.ts";

/**
 * Issue 10, parts 1, 2 and 4: a fourth region joins three that hold data and keep writing; a
 * region whose database is dropped is rebuilt from its peers under its own id; a region is
 * removed for good. Every step ends with every live region identical and every total exact
 * (the removed region's counts included: its components stay). On the secure stack (issue 13),
 * with the operator's steps that security adds: the new region's Kafka principal and its peers'
 * ACLs (`georep kafka acls --apply`), and its public key in every config, rolled, before it ships.
 */
describe("region lifecycle: add, rebuild, remove", () => {
  const { seed } = propertyConfig();
  const dir = mkdtempSync(join(tmpdir(), "georep-lifecycle-"));
  // Tombstone collection on, as production with retention runs: a rebuild then waits until its
  // source applied what the lost region last reported (apps/cli/src/commands/rebuild-wait.ts).
  const extra = {
    membershipCheckIntervalMs: 1_000,
    merge: { collectTombstones: true, collectionGraceSeconds: 0, collectionIntervalMs: 1_000 },
  };
  let chaos: ChaosRegions;
  /** Regions whose process the test started (added, rebuilt, rolled): stopped in afterAll. */
  const added: ChaosRegion[] = [];
  /** The three first regions as they run now (a rolled one has a new process). */
  let first: ChaosRegion[] = [];
  const truth = new GroundTruth();
  let round = 0;

  /** Writes a config file for `r` as an operator would keep it. */
  const configFile = async (
    r: { id: string; db: TestDatabase },
    regions: string[],
    name = `${r.id}-${round}`,
  ) => {
    const path = join(dir, `${name}.json`);
    const config = await chaos.config(r, extra, regions);
    writeFileSync(path, JSON.stringify(config));
    return { path, config };
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
  /** Restarts a running region with a new config (same database, same pool). */
  const roll = async (r: ChaosRegion, config: Record<string, unknown>): Promise<ChaosRegion> => {
    await r.proc.stop();
    const rolled = { ...r, proc: replicatorProcess(r.id, config) };
    added.push({ ...rolled, pool: r.pool });
    await rolled.proc.start();
    return rolled;
  };

  beforeAll(async () => {
    chaos = await chaosRegions({ stack: "secure", prefix: "lc", extra });
    first = [...chaos.regions];
    for (const r of first) await r.proc.start();
  });

  afterAll(async () => {
    for (const r of added) await r.proc.stop();
    // A rolled region's pool and database are the chaos regions' own, closed by chaos.close().
    const own = new Set(chaos.regions.map((r) => r.db));
    for (const r of added)
      if (!own.has(r.db)) {
        if (!r.pool.ended) await r.pool.end();
        await r.db.drop();
      }
    await chaos.close();
  });

  /** Deletes every record of the regions' topics so far, as retention would. */
  const expire = async (regions: readonly ChaosRegion[]) => {
    const admin = chaos.kafkaAdmin();
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

  /** `georep kafka acls --apply` for every region's principal, as the secure stack's admin. */
  const grantAcls = async (paths: readonly string[]) => {
    const login = chaos.kafkaAdminLogin;
    if (login === undefined) return; // the plain stack has no ACLs
    await succeeds(
      "kafka",
      "acls",
      "--apply",
      "--admin-user",
      login.username,
      "--admin-password-file",
      login.passwordFile,
      "--config",
      ...paths,
    );
  };

  it(`adds a fourth region while three write (seed ${seed})`, async () => {
    await write(first, 300);
    // Round 0 is in every region's state and no longer in Kafka: only the snapshot brings it.
    await exact(first, "before the add");
    await expire(first);
    const id = `${first[0]?.id.split("-")[0] ?? "lc"}-r4`;
    const ids = [...first.map((r) => r.id), id];
    const db = await chaos.database((first[0] as ChaosRegion).db.regionId);
    const fourth = { id, db };
    // In order: the new region's config first (its principal and key pair are made with it).
    const newFile = await configFile(fourth, ids);
    const files = [...(await Promise.all(first.map((r) => configFile(r, ids)))), newFile];
    // docs/operate.md's secured order: ACLs; every config holds its public key; region add; roll
    // the peers; start it.
    await grantAcls(files.map((f) => f.path));
    const writing = write(first, 400);
    const out = await succeeds(
      "region",
      "add",
      "--region",
      id,
      "--config",
      ...files.map((f) => f.path),
    );
    expect(out).toMatch(/state rows copied/);
    // With postgres.roles, as schema apply does (on a new cluster the roles have none yet; here
    // the line is what can be checked).
    expect(out).toMatch(/^role passwords set: georep_reader, georep_merger, georep_peer$/m);
    // The source's merged peer heartbeats came with the snapshot: the new region knows at once
    // what it applied of every origin (a region removed earlier included), before it runs.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const heard = await client
      .query<{ n: number }>("SELECT count(DISTINCT origin)::int AS n FROM georep.peer_progress")
      .finally(() => client.end());
    expect(heard.rows[0]?.n, "the source's peer heartbeats copied with the snapshot").toBe(2);
    await writing;
    first = await Promise.all(
      first.map((r, i) => roll(r, (files[i] as { config: Record<string, unknown> }).config)),
    );
    const three = first;
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
    const all = [...first, ...added.filter((r) => r.id.endsWith("-r4"))];
    const lost = all[2] as ChaosRegion;
    const others = all.filter((r) => r !== lost);
    // The lost region's heartbeats reported what it applied of the others: the rebuild's wait
    // has something to cover.
    await waitFor(
      async () =>
        (await lost.pool.query<{ n: string }>("SELECT count(*)::text AS n FROM georep.applied"))
          .rows[0]?.n === String(others.length),
      { description: "the lost region reporting what it applied of every peer", timeoutMs: 60_000 },
    );
    await lost.proc.kill9();
    await lost.pool.end();
    await lost.db.drop(); // chaos.close() drops it again: IF EXISTS
    await write(others, 300);
    const db = await chaos.database(lost.db.regionId);
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
    const lost = first[2] as ChaosRegion;
    const rebuilt = added.find((r) => r.id === lost.id && r.db !== lost.db);
    const fourth = added.find((r) => r.id.endsWith("-r4"));
    const live = [first[0], first[1], rebuilt, fourth].filter(
      (r): r is ChaosRegion => r !== undefined,
    );
    expect(live).toHaveLength(4);
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
