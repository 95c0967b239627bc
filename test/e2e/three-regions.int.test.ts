import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroundTruth, runFleet, seededRandom } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { countingResultsSpec, parseTableSpec, stateLayout } from "@georep/schema";
import { Redis } from "ioredis";
import type { Pool } from "pg";
import { cacheKey, serveHttp } from "@georep/replicator";
import { readEndpoints, waitFor } from "@georep/testkit";
import { verifyRegions } from "@georep/verify";
import type { ThreeRegions } from "./regions.ts";
import { startThreeRegions } from "./regions.ts";

const layouts = [stateLayout(parseTableSpec(countingResultsSpec))];

async function peopleIn(pool: Pool): Promise<bigint> {
  const { rows } = await pool.query<{ s: string }>(
    "SELECT coalesce(sum(people_in), 0)::text AS s FROM counting_results",
  );
  return BigInt(rows[0]?.s ?? "-1");
}

describe("three regions, whole pipeline", () => {
  let world: ThreeRegions;
  beforeAll(async () => {
    world = await startThreeRegions("e2e");
  });
  afterAll(async () => world.close());

  it("converges to identical rows and exact counts under concurrent writes everywhere", async () => {
    const { seed } = propertyConfig();
    const truth = new GroundTruth();
    const cameraIds = ["cam-a", "cam-b", "cam-c", "cam-d"];
    const buckets = ["2026-11-22T10:00:00.000Z", "2026-11-22T11:00:00.000Z"];
    await Promise.all([
      ...world.regions.map((r, i) =>
        runFleet(
          {
            region: r.id,
            pool: r.pool,
            cameraIds,
            buckets,
            concurrency: 3,
            random: seededRandom(seed + i),
          },
          150,
          truth,
        ),
      ),
      // Register writes racing on the same rows in every region, and a region-only row each.
      ...world.regions.map(async (r, i) => {
        for (let n = 0; n < 20; n++) {
          await r.pool.query("UPDATE counting_results SET status = $1 WHERE camera_id = 'cam-a'", [
            `${r.id}-${n}`,
          ]);
        }
        await r.pool.query(
          "INSERT INTO counting_results (camera_id, bucket, status, home_region) VALUES ($1, now(), 'solo', $2)",
          [`solo-${i}`, r.id],
        );
      }),
    ]);
    const want = truth.total().peopleIn;
    try {
      await waitFor(
        async () => {
          const report = await verifyRegions(
            world.regions.map((r) => ({ region: r.id, pool: r.pool })),
            layouts,
          );
          const totals = await Promise.all(world.regions.map((r) => peopleIn(r.pool)));
          return report.identical && totals.every((t) => t === want);
        },
        {
          description: "three regions identical with exact totals",
          timeoutMs: 120_000,
          intervalMs: 250,
        },
      );
    } catch (error) {
      const report = await verifyRegions(
        world.regions.map((r) => ({ region: r.id, pool: r.pool })),
        layouts,
      );
      throw new Error(
        `seed ${seed}: ${(error as Error).message}\n${JSON.stringify(report.differences.slice(0, 5), null, 2)}`,
        { cause: error },
      );
    }
    for (const r of world.regions) {
      const { rows } = await r.pool.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM counting_results WHERE camera_id LIKE 'solo-%'",
      );
      expect(rows[0]?.n).toBe("3");
    }
  });

  it("keeps the Redis read cache of merged totals fresh", async () => {
    const [a, b] = world.regions;
    if (a === undefined || b === undefined) throw new Error("three regions expected");
    const redis = new Redis(readEndpoints().redis.url);
    try {
      await b.pool.query(
        "UPDATE counting_results SET people_in = people_in + 7 WHERE camera_id = 'solo-1'",
      );
      await waitFor(
        async () => {
          const { rows } = await a.pool.query<{ people_in: string; bucket: string }>(
            "SELECT people_in::text, bucket::text FROM counting_results WHERE camera_id = 'solo-1'",
          );
          const row = rows[0];
          if (row?.people_in !== "7") return false;
          const cached = await redis.hget(
            cacheKey(a.id, "public.counting_results", { camera_id: "solo-1", bucket: row.bucket }, [
              "camera_id",
              "bucket",
            ]),
            "people_in",
          );
          return cached === "7";
        },
        { description: "region a's cache to hold the merged total of solo-1", timeoutMs: 60_000 },
      );
    } finally {
      redis.disconnect();
    }
  });

  it("answers /health, /ready and /metrics with lag per origin", async () => {
    const [a] = world.regions;
    if (a === undefined) throw new Error("three regions expected");
    const http = await serveHttp({
      host: "127.0.0.1",
      port: 0,
      probes: a.replicator.probes,
      metrics: a.metrics,
    });
    try {
      const get = async (path: string): Promise<{ status: number; body: string }> => {
        const res = await fetch(`http://127.0.0.1:${http.port}${path}`);
        return { status: res.status, body: await res.text() };
      };
      expect((await get("/health")).status).toBe(200);
      expect((await get("/ready")).status).toBe(200);
      // The lag gauges refresh on an interval once an origin's first commit is applied: poll.
      const series = world.regions
        .slice(1)
        .map((other) => `georep_replication_lag_seconds{origin="${other.id}"}`);
      await waitFor(
        async () => {
          const metrics = await get("/metrics");
          return metrics.status === 200 && series.every((s) => metrics.body.includes(s));
        },
        { description: `/metrics to carry ${series.join(" and ")}`, timeoutMs: 30_000 },
      );
      expect((await get("/nope")).status).toBe(404);
    } finally {
      await http.close();
    }
  });

  it("replicates a delete to every region", async () => {
    const [, b] = world.regions;
    if (b === undefined) throw new Error("three regions expected");
    await b.pool.query("DELETE FROM counting_results WHERE camera_id = 'solo-0'");
    await waitFor(
      async () => {
        const counts = await Promise.all(
          world.regions.map(
            async (r) =>
              (await r.pool.query("SELECT 1 FROM counting_results WHERE camera_id = 'solo-0'"))
                .rowCount,
          ),
        );
        return counts.every((c) => c === 0);
      },
      { description: "the delete to reach every region", timeoutMs: 60_000 },
    );
  });

  it("runs active/standby: a second replicator of a region waits, then takes over", async () => {
    const [a, b] = world.regions;
    if (a === undefined || b === undefined) throw new Error("three regions expected");
    const standby = world.spare(a);
    let active = false;
    const started = standby.start().then(() => {
      active = true;
    });
    started.catch(() => undefined); // a failed start is reported by `await started` below
    try {
      await waitFor(() => standby.status().state === "standby", {
        description: "the second instance to wait as standby",
        timeoutMs: 30_000,
      });
      expect(active).toBe(false);
      await a.replicator.stop();
      await started;
      expect(standby.status().state).toBe("active");
      a.replicator = standby;
    } finally {
      // Not handed over (a step above failed): stop it here, or it would take over the region
      // while afterAll drops its database.
      if (a.replicator !== standby) {
        await standby.stop();
        await started.catch(() => undefined);
      }
    }
    // The new active instance replicates: a write in b reaches a.
    await b.pool.query(
      "UPDATE counting_results SET people_in = people_in + 5 WHERE camera_id = 'solo-2'",
    );
    await waitFor(
      async () => {
        const { rows } = await a.pool.query<{ n: string }>(
          "SELECT people_in::text AS n FROM counting_results WHERE camera_id = 'solo-2'",
        );
        return rows[0]?.n === "5";
      },
      {
        description: "a write in b to reach a through the new active replicator",
        timeoutMs: 60_000,
      },
    );
  });
});
