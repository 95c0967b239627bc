import { readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import {
  devKafka,
  createTestDatabase,
  freePort,
  readEndpoints,
  replicatorProcess,
  uniqueName,
  waitFor,
} from "@georep/testkit";
import type { ReplicatorProcess, TestDatabase } from "@georep/testkit";

// Issue 11, part 1: a failed or stalled role is visible. A merger that hits a statement timeout
// makes its replicator hand the lease over and exit non-zero (before: the process ran on, /health
// said 200 and the lock stayed held); a merge making no progress while work is pending fails
// /health; /ready needs capture streaming as well as the merger.
const endpoints = readEndpoints();
const tag = uniqueName("f").replaceAll("_", "").slice(-8);
const clusters = endpoints.regions.slice(0, 2);
const ids = clusters.map((r) => `f${tag}-${r.id}`.slice(0, 31));
const [idA = "", idB = ""] = ids;
const dbs: TestDatabase[] = [];
const pools: pg.Pool[] = [];
let a: ReplicatorProcess;
let b: ReplicatorProcess | undefined;
let cam = 0;

const config = async (id: string, db: TestDatabase, extra: Record<string, unknown> = {}) => ({
  region: id,
  regions: ids.map((x) => ({ id: x })),
  postgres: { url: db.url },
  kafka: devKafka(endpoints.kafka.brokers),
  tables: ["counting_results"],
  http: { port: await freePort(), host: "127.0.0.1" },
  leadership: { leaseMs: 3_000, pollMs: 200 },
  ...extra,
});

const poolOf = (i: number): pg.Pool =>
  pools[i] ??
  (() => {
    throw new Error("no pool");
  })();

/** One camera report written in A: a merge for B to do. */
async function writeInA(): Promise<string> {
  cam += 1;
  const camera = `cam-${cam}`;
  await poolOf(0).query(
    `INSERT INTO counting_results (camera_id, bucket, people_in, people_out, vehicle_in, vehicle_out, model_version, status, home_region)
     VALUES ($1, '2026-12-02T10:00:00Z', 1, 0, 0, 0, 'm1', 'ok', $2)`,
    [camera, idA],
  );
  return camera;
}

/** Merges into B's counting_results stall for `seconds` (a trigger on merger sessions only). */
const slowMerges = (seconds: number) =>
  poolOf(1)
    .query(`CREATE OR REPLACE FUNCTION public.slow_merge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('application_name') LIKE 'georep-merger-%' THEN PERFORM pg_sleep(${seconds}); END IF;
  RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER slow_merge BEFORE INSERT OR UPDATE ON public.counting_results
  FOR EACH ROW EXECUTE FUNCTION public.slow_merge();`);

async function probe(proc: ReplicatorProcess, path: "/health" | "/ready") {
  const res = await fetch(`http://127.0.0.1:${proc.port}${path}`, {
    signal: AbortSignal.timeout(2_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const inB = async (camera: string): Promise<boolean> =>
  (await poolOf(1).query("SELECT 1 FROM counting_results WHERE camera_id = $1", [camera]))
    .rowCount === 1;

beforeAll(async () => {
  for (const [i, cluster] of clusters.entries()) {
    const db = await createTestDatabase(cluster.id, "rolefail");
    dbs.push(db);
    pools.push(new pg.Pool({ connectionString: db.url, max: 2 }));
    if (i === 0) a = replicatorProcess(idA, await config(idA, db));
  }
  await a.start();
});
afterEach(async () => {
  await b?.stop();
  await poolOf(1)
    .query("DROP TRIGGER IF EXISTS slow_merge ON public.counting_results")
    .catch(
      () => undefined, // the table exists only once B's replicator installed it
    );
});
afterAll(async () => {
  await a.stop();
  for (const p of pools) await p.end();
  for (const db of dbs) await db.drop();
});

it("a merger stalled on a merge fails /health while it waits, and recovers with it", async () => {
  b = replicatorProcess(idB, await config(idB, dbs[1] as TestDatabase, { stallSeconds: 2 }));
  await b.start();
  const proc = b;
  await slowMerges(8);
  const camera = await writeInA();
  const stalled = await waitFor(
    async () => {
      const h = await probe(proc, "/health");
      return h.status === 503 ? h : undefined;
    },
    { description: "/health to fail while the merge stalls", timeoutMs: 30_000, intervalMs: 200 },
  );
  expect(stalled.body).toMatchObject({ ok: false });
  const roles = (stalled.body["detail"] as { stalled: Array<{ role: string }> }).stalled;
  expect(roles.map((r) => r.role)).toContain("merge");
  await waitFor(async () => (await probe(proc, "/health")).status === 200 && (await inB(camera)), {
    description: "/health to pass again once the slow merge committed",
    timeoutMs: 30_000,
    intervalMs: 200,
  });
});

it("a merger hitting its statement timeout makes the replicator hand over and exit 1", async () => {
  b = replicatorProcess(
    idB,
    await config(idB, dbs[1] as TestDatabase, { merge: { statementTimeoutMs: 1_000 } }),
  );
  await b.start();
  await slowMerges(3);
  const started = performance.now();
  const camera = await writeInA();
  const code = await Promise.race([
    b.exited(),
    new Promise<string>((r) =>
      setTimeout(() => {
        r("still running after 60 s");
      }, 60_000),
    ),
  ]);
  expect(code).toBe(1);
  const log = readFileSync(b.logPath, "utf8");
  expect(log).toContain("statement timeout");
  expect(log).toContain("a role failed; the replicator stops and hands over");
  const lease = await poolOf(1).query<{ free: boolean }>(
    "SELECT expires_at = '-infinity' AS free FROM georep.leader",
  );
  expect(lease.rows[0]?.free, "the lease is handed over, not left to expire").toBe(true);
  console.log(`merger failure to exit: ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // Once the cause is gone, a restarted replicator merges what failed.
  await poolOf(1).query("DROP TRIGGER slow_merge ON public.counting_results");
  await b.start();
  await waitFor(() => inB(camera), { description: "the failed merge to apply after the restart" });
});

it("/ready needs capture streaming, not only the merger", async () => {
  b = replicatorProcess(idB, await config(idB, dbs[1] as TestDatabase));
  await b.start();
  const proc = b;
  await waitFor(async () => (await probe(proc, "/ready")).status === 200, {
    description: "B ready",
  });
  // pgoutput fails on the next change once its publication is gone: capture goes to backoff.
  await poolOf(1).query("ALTER PUBLICATION georep_out RENAME TO georep_away");
  try {
    const notReady = await waitFor(
      async () => {
        const r = await probe(proc, "/ready");
        return r.status === 503 ? r : undefined;
      },
      {
        description: "/ready to fail while capture cannot stream",
        timeoutMs: 30_000,
        intervalMs: 25,
      },
    );
    expect(notReady.body).toMatchObject({ ok: false, detail: { merger: "running" } });
    expect((notReady.body["detail"] as { capture: string }).capture).not.toBe("streaming");
  } finally {
    await poolOf(1).query("ALTER PUBLICATION georep_away RENAME TO georep_out");
  }
  await waitFor(async () => (await probe(proc, "/ready")).status === 200, {
    description: "B ready again once capture streams",
    timeoutMs: 30_000,
  });
});
