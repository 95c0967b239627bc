import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countingResultsSpec, parseTableSpec, stateLayout } from "@georep/schema";
import type { Replicator } from "@georep/replicator";
import { waitFor } from "@georep/testkit";
import type { Region, ThreeRegions } from "./regions.ts";
import { startThreeRegions } from "./regions.ts";

// Tombstone collection end to end (docs/data-model.md, "Tombstones"): real replicators in three
// regions, heartbeats every 5 s, collection every second.
const state = stateLayout(parseTableSpec(countingResultsSpec)).stateTable;
const BUCKET = "2026-01-01T00:00:00Z";

async function stateRows(r: Region, camera: string): Promise<number> {
  const { rows } = await r.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${state} WHERE camera_id LIKE $1`,
    [camera],
  );
  return rows[0]?.n ?? -1;
}

/** The last of the ten buckets `buckets` writes. */
const RACED = "2026-01-01T00:09:00Z";

async function bucketState(r: Region, camera: string, bucket: string): Promise<number> {
  const { rows } = await r.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${state} WHERE camera_id = $1 AND bucket = $2`,
    [camera, bucket],
  );
  return rows[0]?.n ?? -1;
}

/** How many distinct buckets of `camera` hold state. */
async function stateBuckets(r: Region, camera: string): Promise<number> {
  const { rows } = await r.pool.query<{ n: number }>(
    `SELECT count(DISTINCT bucket)::int AS n FROM ${state} WHERE camera_id = $1`,
    [camera],
  );
  return rows[0]?.n ?? -1;
}

async function peopleIn(r: Region, camera: string): Promise<string | undefined> {
  const { rows } = await r.pool.query<{ p: string }>(
    "SELECT people_in::text AS p FROM counting_results WHERE camera_id = $1",
    [camera],
  );
  return rows[0]?.p;
}

async function rowCount(r: Region, camera: string): Promise<number> {
  const { rows } = await r.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM counting_results WHERE camera_id LIKE $1",
    [camera],
  );
  return rows[0]?.n ?? -1;
}

/** Ten buckets of `camera`, written in `home`, seen by every region. */
async function buckets(world: ThreeRegions, home: Region, camera: string): Promise<void> {
  await home.pool.query(
    `INSERT INTO counting_results (camera_id, bucket, people_in, home_region)
     SELECT $1, $2::timestamptz + make_interval(mins => i), i, $3 FROM generate_series(0, 9) i`,
    [camera, BUCKET, home.id],
  );
  for (const r of world.regions)
    await waitFor(async () => (await rowCount(r, camera)) === 10, {
      timeoutMs: 30_000,
      description: `${camera}'s buckets in ${r.id}`,
    });
}

const gauge = async (r: Region, name: string, labels: Record<string, string>): Promise<number> => {
  const metric = r.metrics.registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  const hit = values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return hit?.value ?? Number.NaN;
};

describe("tombstone collection", () => {
  let world: ThreeRegions;
  beforeAll(async () => {
    world = await startThreeRegions("gc", [], {
      // A healthy barrier is a few heartbeats old (5 s each): 30 s only when a region is silent.
      merge: {
        collectTombstones: true,
        collectionIntervalMs: 1_000,
        collectionBlockedAfterSeconds: 30,
        // No region here loses history; the grace is tested in test/merge/collection.
        collectionGraceSeconds: 0,
      },
    });
  });
  afterAll(async () => world.close());

  it("frees the state of buckets deleted in every region, everywhere; a concurrent re-insert keeps exact counts", async () => {
    const [a, b, c] = world.regions as [Region, Region, Region];
    for (const [i, r] of world.regions.entries()) await buckets(world, r, `gc-${i}`);
    // Retention runs in every region: each deletes every bucket, concurrently with the others.
    await Promise.all(
      world.regions.map((r) =>
        r.pool.query("DELETE FROM counting_results WHERE camera_id LIKE 'gc-%'"),
      ),
    );
    for (const r of world.regions)
      await waitFor(async () => (await rowCount(r, "gc-%")) === 0, {
        timeoutMs: 30_000,
        description: `every deleted bucket gone from ${r.id}'s table`,
      });
    // A re-insert while the tombstones are still waiting, incremented in another region once seen.
    await a.pool.query(
      `INSERT INTO counting_results (camera_id, bucket, people_in, home_region) VALUES ('gc-0', $1, 4, $2)`,
      [BUCKET, a.id],
    );
    await waitFor(async () => (await rowCount(b, "gc-0")) === 1, {
      timeoutMs: 30_000,
      description: "the re-insert in b",
    });
    await b.pool.query(
      "UPDATE counting_results SET people_in = people_in + 2 WHERE camera_id = 'gc-0' AND bucket = $1",
      [BUCKET],
    );
    // A re-insert racing collection: a inserts a bucket of gc-2 as soon as a has collected it,
    // and c (which wrote it first, and may not have collected it yet) inserts it too; both
    // inserts count. Whether c has collected by then is up to timing (here it usually has, and
    // the code before lifetimes passed too); test/merge/collection.int.test.ts forces the case
    // where it has not, in which c's old share came back.
    await waitFor(async () => (await bucketState(a, "gc-2", RACED)) === 0, {
      timeoutMs: 90_000,
      intervalMs: 100,
      description: "a has collected gc-2's last bucket",
    });
    const upsert = `INSERT INTO counting_results (camera_id, bucket, people_in, home_region) VALUES ('gc-2', $1, $2, $3)
      ON CONFLICT (camera_id, bucket) DO UPDATE SET people_in = counting_results.people_in + excluded.people_in`;
    await Promise.all([
      a.pool.query(upsert, [RACED, 5, a.id]),
      c.pool.query(upsert, [RACED, 7, c.id]),
    ]);
    for (const r of world.regions) {
      await waitFor(
        async () =>
          (await stateRows(r, "gc-1")) === 0 &&
          // gc-0 and gc-2: only the re-inserted bucket keeps state.
          (await stateBuckets(r, "gc-0")) === 1 &&
          (await stateBuckets(r, "gc-2")) === 1,
        {
          timeoutMs: 90_000,
          intervalMs: 500,
          description: `the deleted buckets' state gone from ${r.id}`,
        },
      );
      const { rows } = await r.pool.query<{ p: string }>(
        "SELECT people_in::text AS p FROM counting_results WHERE camera_id = 'gc-0'",
      );
      expect(rows, r.id).toEqual([{ p: "6" }]);
      await waitFor(async () => (await peopleIn(r, "gc-2")) === "12", {
        timeoutMs: 30_000,
        description: `gc-2's raced re-inserts both counted in ${r.id}`,
      });
      // 30 deleted buckets, less gc-0's re-inserted one; gc-2's raced one is collected in a (it
      // waited for that), and elsewhere only if collection got there before the re-insert.
      expect(
        await gauge(r, "georep_tombstones_collected_total", { table: "public.counting_results" }),
        `${r.id}: keys collected`,
      ).toBeGreaterThanOrEqual(r === a ? 29 : 28);
    }
    // Inserted again once collected everywhere: counts from zero.
    await c.pool.query(
      `INSERT INTO counting_results (camera_id, bucket, people_in, home_region) VALUES ('gc-1', $1, 3, $2)`,
      [BUCKET, c.id],
    );
    for (const r of world.regions)
      await waitFor(
        async () =>
          (
            await r.pool.query<{ p: string }>(
              "SELECT people_in::text AS p FROM counting_results WHERE camera_id = 'gc-1'",
            )
          ).rows[0]?.p === "3",
        { timeoutMs: 30_000, description: `gc-1 counted from zero in ${r.id}` },
      );
  }, 240_000);

  it("waits for a stopped region, names it, and collects once it is back", async () => {
    const [a, b, c] = world.regions as [Region, Region, Region];
    await buckets(world, a, "stop-a");
    await c.replicator.stop();
    await a.pool.query("DELETE FROM counting_results WHERE camera_id = 'stop-a'");
    await waitFor(async () => (await rowCount(b, "stop-a")) === 0, {
      timeoutMs: 30_000,
      description: "the deletes in b",
    });
    // Past collectionBlockedAfterSeconds, a and b name c; the tombstones stay meanwhile.
    for (const r of [a, b])
      await waitFor(async () => (await gauge(r, "georep_gc_blocked_by", { peer: c.id })) === 1, {
        timeoutMs: 60_000,
        intervalMs: 500,
        description: `georep_gc_blocked_by{peer=${c.id}} in ${r.id}`,
      });
    expect(await stateRows(a, "stop-a")).toBe(10);
    expect(await stateRows(b, "stop-a")).toBe(10);
    const back: Replicator = world.spare(c);
    c.replicator = back;
    await back.start();
    for (const r of world.regions)
      await waitFor(async () => (await stateRows(r, "stop-a")) === 0, {
        timeoutMs: 90_000,
        intervalMs: 500,
        description: `stop-a's state collected in ${r.id} once ${c.id} is back`,
      });
    await waitFor(async () => (await gauge(a, "georep_gc_blocked_by", { peer: c.id })) === 0, {
      timeoutMs: 30_000,
      intervalMs: 500,
      description: `georep_gc_blocked_by{peer=${c.id}} back to 0 in ${a.id}`,
    });
  }, 240_000);
});
