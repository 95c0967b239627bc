import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { expect, it } from "vitest";
import { seededRandom } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { readSecureEndpoints, securePgUrl, useCleanups, waitFor } from "@georep/testkit";
import { waitConverged } from "./support/converge.ts";
import { dumpDatabase, restoreDatabase } from "./support/pg-dump.ts";
import { printDrill, seconds } from "./support/report.ts";
import { drillReplicator, stopReplicator, waitReady } from "./support/replicators.ts";
import { secureDrillRegions } from "./support/secure-drill.ts";
import type { DrillRegionConfig } from "./support/replicators.ts";
import {
  addTotals,
  excessOver,
  grandTotal,
  replicaComponents,
  show,
  totalsDiff,
} from "./support/totals.ts";
import { startWriter } from "./support/writers.ts";

// Drill: region A's database is dumped (pg_dump -Fc) while every region writes; writes go on;
// once everything A committed has reached B and C, A's replicator is stopped, its database
// dropped and restored from the dump (same name, new database oid: an older copy of A's history),
// and the replicator restarted on it. Writes go on everywhere. Ground truth: every commit, in
// every region, before and after the restore: A shipped all of it before the restore.
const defer = useCleanups();
const { seed } = propertyConfig();
const cameraIds = ["cam-1", "cam-2", "cam-3", "cam-4", "cam-5", "cam-6"];
const buckets = ["2026-11-22T10:00:00.000Z", "2026-11-22T11:00:00.000Z"];

function readPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => undefined);
  return pool;
}

async function onServer(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

it(`a region restored from an earlier dump keeps every count (seed ${seed})`, async () => {
  // Every link secured (issue 13): the dump is taken and restored by the admin, and the restored
  // database must still serve the least-privilege roles.
  const drill = await secureDrillRegions("rd");
  defer(() => drill.close());
  const regions = drill.regions;
  const [idA = "", idB = "", idC = ""] = regions.map((r) => r.id);
  const dbs = drill.setups.map((s) => s.db);
  const [dbA, dbB, dbC] = dbs as [(typeof dbs)[0], (typeof dbs)[0], (typeof dbs)[0]];
  const procs = regions.map((r) => drillReplicator(r, regions));
  for (const p of procs) defer(() => stopReplicator(p));
  // One at a time: replicators starting together race to create the same topics.
  for (const p of procs) await p.start();
  await Promise.all(regions.map((r) => waitReady(r.id, r.httpPort)));
  const [poolB, poolC] = [readPool(dbB.url), readPool(dbC.url)];
  defer(() => poolB.end());
  defer(() => poolC.end());
  let poolA = readPool(dbA.url);

  const writers = regions.map((r, i) =>
    startWriter({
      region: r.id,
      label: i === 0 ? "before-dump" : "all",
      url: r.url,
      cameraIds,
      buckets,
      concurrency: 2,
      random: seededRandom(seed + i),
      paceMs: 10,
    }),
  );
  for (const w of writers) defer(() => w.stop());
  const [wA] = writers as [(typeof writers)[0]];
  await waitFor(async () => grandTotal(await replicaComponents(poolB, idA)).peopleIn > 0n, {
    description: "A's writes to reach B",
    timeoutMs: 60_000,
  });

  const dumpDir = mkdtempSync(join(tmpdir(), "georep-drill-dump-"));
  defer(() => {
    rmSync(dumpDir, { recursive: true, force: true });
    return Promise.resolve();
  });
  const dumpFile = join(dumpDir, "region-a.dump");
  await dumpDatabase(dbA.url, dumpFile);
  wA.retarget("after-dump");
  await waitFor(() => wA.committed("after-dump").reports >= 100, {
    description: "100 writes in A after the dump",
    timeoutMs: 60_000,
  });

  // A's service stops writing; everything A committed reaches B and C before the restore.
  await wA.pause();
  await waitFor(
    async () => {
      const own = await replicaComponents(poolA, idA);
      return (
        totalsDiff(own, await replicaComponents(poolB, idA)).length === 0 &&
        totalsDiff(own, await replicaComponents(poolC, idA)).length === 0
      );
    },
    { description: "everything A committed to reach B and C", timeoutMs: 60_000 },
  );

  // Disaster: A's database is lost and restored from the dump (DROP DATABASE: a new oid).
  const failedAt = Date.now();
  await procs[0]?.stop();
  await poolA.end();
  await dbA.drop();
  await onServer(securePgUrl(readSecureEndpoints(), dbA.regionId), `CREATE DATABASE ${dbA.name}`);
  await restoreDatabase(dbA.url, dumpFile);
  const restoredAt = Date.now();
  poolA = readPool(dbA.url);
  defer(() => poolA.end());
  const restoredOwn = await replicaComponents(poolA, idA);
  const notInDump = excessOver(await replicaComponents(poolB, idA), restoredOwn);
  // The drill is real: A committed (and shipped) increments that the restored copy lacks.
  expect(notInDump.peopleIn).toBeGreaterThan(0n);

  wA.retarget("restored");
  const procA = drillReplicator(regions[0] as DrillRegionConfig, regions);
  defer(() => stopReplicator(procA));
  const startedAt = Date.now();
  await procA.start();
  const readyAt = await waitReady(idA, regions[0]?.httpPort ?? 0);
  await waitFor(() => wA.committed("restored").reports >= 100, {
    description: "100 writes committed in A after the restore",
    timeoutMs: 60_000,
  });
  await Promise.all(writers.map((w) => w.stop()));
  const stoppedAt = Date.now();
  for (const w of writers) expect(w.inDoubt.reports, `writes in doubt in ${w.region}`).toBe(0);

  const want = addTotals(...writers.map((w) => w.allCommitted()));
  const figures = {
    seed,
    "A committed before the dump": show(grandTotal(wA.committed("before-dump").perKey)),
    "A committed after the dump (shipped, not in it)": show(
      grandTotal(wA.committed("after-dump").perKey),
    ),
    "  A's component: shipped above the restored copy": show(notInDump),
    "drop + restore took": seconds(restoredAt - failedAt),
    "RTO: A's replicator ready after": seconds(readyAt - failedAt),
    "  of which the new process starting up": seconds(readyAt - startedAt),
    "writes refused on the restored database (55000, retried)": wA.refused,
    "A committed after the restore": show(grandTotal(wA.committed("restored").perKey)),
    "ground truth, all regions": show(grandTotal(want)),
  };
  try {
    const identicalAt = await waitConverged(
      [
        { id: idA, pool: poolA },
        { id: idB, pool: poolB },
        { id: idC, pool: poolC },
      ],
      want,
      60_000,
    );
    printDrill("restore from dump", {
      ...figures,
      "RPO: lost": "nothing (exact totals)",
      "RTO: regions identical after": seconds(identicalAt - failedAt),
      "  of which draining after the writers stopped": seconds(identicalAt - stoppedAt),
    });
  } catch (error) {
    printDrill("restore from dump (NOT converged)", figures);
    throw error;
  }
});
