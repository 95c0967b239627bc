import pg from "pg";
import { expect, it } from "vitest";
import { seededRandom } from "@georep/camera-service";
import { createTestDatabase, readEndpoints, useCleanups, waitFor } from "@georep/testkit";
import { waitConverged } from "./support/converge.ts";
import { freePort } from "./support/free-port.ts";
import { printDrill, seconds } from "./support/report.ts";
import {
  drillRegionIds,
  drillReplicator,
  installRegions,
  drillSlot,
  stopReplicator,
  waitReady,
} from "./support/replicators.ts";
import type { DrillRegionConfig } from "./support/replicators.ts";
import { addTotals, grandTotal, show } from "./support/totals.ts";
import { startWriter } from "./support/writers.ts";

// Drill: a region's replicator is killed (kill -9) the moment its slot's confirmed position
// moves, that is right after Kafka acknowledged a transaction and the reader confirmed it, while
// several sessions in every region commit back to back (so the next commit record often starts
// exactly where the confirmed one ended). Restarted, capture must resume with that next
// transaction. A seeded schedule picks the victim and how many confirmations to let pass.
const defer = useCleanups();
const seed = Number(process.env["GEOREP_SEED"] ?? Date.now() % 100_000);
const kills = Number(process.env["GEOREP_DRILL_KILLS"] ?? 3);
const cameraIds = ["cam-1", "cam-2", "cam-3", "cam-4", "cam-5", "cam-6", "cam-7", "cam-8"];
const buckets = ["2026-11-22T10:00:00.000Z", "2026-11-22T11:00:00.000Z"];

it(`capture killed right after Kafka acknowledged a transaction loses nothing (seed ${seed}, ${kills} kills)`, async () => {
  const random = seededRandom(seed);
  const ids = drillRegionIds("ka");
  const regions: DrillRegionConfig[] = [];
  const pools: pg.Pool[] = [];
  for (const [i, cluster] of readEndpoints().regions.entries()) {
    const db = await createTestDatabase(cluster.id, "drill_ka");
    defer(() => db.drop());
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    defer(() => pool.end());
    pools.push(pool);
    regions.push({ id: ids[i] ?? "", url: db.url, httpPort: await freePort() });
  }
  const procs = regions.map((r) => drillReplicator(r, regions));
  for (const p of procs) defer(() => stopReplicator(p));
  await installRegions(regions);
  // One at a time: replicators starting together race to create the same topics.
  for (const p of procs) await p.start();
  await Promise.all(regions.map((r) => waitReady(r.id, r.httpPort)));

  const writers = regions.map((r, i) =>
    startWriter({
      region: r.id,
      label: "all",
      url: r.url,
      cameraIds,
      buckets,
      concurrency: 4,
      random: seededRandom(seed + 1 + i),
      paceMs: 2,
    }),
  );
  for (const w of writers) defer(() => w.stop());

  const schedule: string[] = [];
  const rto: number[] = [];
  for (let k = 0; k < kills; k += 1) {
    const v = Math.floor(random() * regions.length);
    const victim = regions[v] as DrillRegionConfig;
    const proc = procs[v];
    const pool = pools[v];
    if (proc === undefined || pool === undefined) throw new Error(`no region ${v}`);
    const confirmations = 1 + Math.floor(random() * 3);
    const confirmed = async (): Promise<string> =>
      (
        await pool.query<{ lsn: string | null }>(
          "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1",
          [drillSlot(victim.id)],
        )
      ).rows[0]?.lsn ?? "none";
    let last = await confirmed();
    let moves = 0;
    await waitFor(
      async () => {
        const now = await confirmed();
        if (now !== last) {
          moves += 1;
          last = now;
        }
        return moves >= confirmations;
      },
      {
        description: `${victim.id}'s slot to confirm ${confirmations} more transaction(s)`,
        timeoutMs: 60_000,
        intervalMs: 2,
      },
    );
    const killedAt = Date.now();
    await proc.kill9();
    schedule.push(`${victim.id} after ${confirmations} confirmation(s), at ${last}`);
    await proc.start();
    rto.push((await waitReady(victim.id, victim.httpPort)) - killedAt);
  }
  await Promise.all(writers.map((w) => w.stop()));
  const stoppedAt = Date.now();
  for (const w of writers) expect(w.inDoubt.reports, `writes in doubt in ${w.region}`).toBe(0);

  const want = addTotals(...writers.map((w) => w.allCommitted()));
  const figures = {
    seed,
    kills: schedule.join("; "),
    "RTO: replicator ready after each kill": rto.map(seconds).join(", "),
    "commits (all regions)": writers.reduce((n, w) => n + w.committed("all").reports, 0),
    "ground truth, all regions": show(grandTotal(want)),
  };
  try {
    const identicalAt = await waitConverged(
      regions.map((r, i) => ({ id: r.id, pool: pools[i] as pg.Pool })),
      want,
      60_000,
    );
    printDrill("capture killed after ack", {
      ...figures,
      "RPO: lost": "nothing (exact totals)",
      "regions identical after the writers stopped": seconds(identicalAt - stoppedAt),
    });
  } catch (error) {
    printDrill("capture killed after ack (NOT converged)", figures);
    throw error;
  }
});
