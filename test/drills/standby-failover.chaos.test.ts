import pg from "pg";
import { expect, it } from "vitest";
import { seededRandom, writeReport } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { originTopic } from "@georep/contract";
import {
  createSecureTestDatabase,
  readSecureEndpoints,
  secureTestKafka,
  useCleanups,
  waitFor,
} from "@georep/testkit";
import { waitConverged } from "./support/converge.ts";
import { freePort } from "./support/free-port.ts";
import { waitTopicApplied } from "./support/kafka-drain.ts";
import { startCluster } from "./support/pg-cluster.ts";
import { startStandby } from "./support/pg-standby.ts";
import { printDrill, seconds } from "./support/report.ts";
import {
  drillRegionIds,
  drillReplicator,
  stopReplicator,
  waitReady,
} from "./support/replicators.ts";
import { secureDrillMembers } from "./support/secure-drill.ts";
import type { DrillRegionConfig } from "./support/replicators.ts";
import {
  addTotals,
  excessOver,
  grandTotal,
  maxTotals,
  replicaComponents,
  show,
  totalsDiff,
  userTotals,
} from "./support/totals.ts";
import { startWriter } from "./support/writers.ts";

// Drill: region A runs on its own cluster with an asynchronous streaming standby. The standby is
// cut off (it falls behind) while A's primary keeps committing and shipping; then the primary is
// killed (kill -9 of the whole server), the standby promoted, and A's replicator restarted on it.
// Every region keeps writing throughout. Ground truth: every commit in B and C, every commit on
// the promoted standby, and of the primary's commits what survived it: what it had shipped (what
// B and C hold of A's original replica once they applied A's topic) or the standby had replayed.
const defer = useCleanups();
const { seed } = propertyConfig();
const cameraIds = ["cam-1", "cam-2", "cam-3", "cam-4", "cam-5", "cam-6"];
const buckets = ["2026-11-22T10:00:00.000Z", "2026-11-22T11:00:00.000Z"];
const sentinel = { cameraId: "shipped-before-failure", bucket: "2026-11-22T12:00:00.000Z" };
const sentinelKey = `${sentinel.cameraId}|${sentinel.bucket}`;

function readPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => undefined);
  defer(() => pool.end());
  return pool;
}

it(`a promoted async standby keeps everything A shipped, and every later write counts (seed ${seed})`, async () => {
  // Every link secured (issue 13): A's primary and its standby speak TLS only (verify-full, SCRAM;
  // the standby streams over TLS with a password), B and C are on the secure stack, Kafka is
  // SASL_SSL with ACLs, envelopes are signed. The roles' passwords reach the standby with the WAL.
  const members = await secureDrillMembers("sf");
  defer(() => members.close());
  const secureStack = readSecureEndpoints();
  const stack = secureStack.regions;
  const ids = drillRegionIds("sf");
  const [idA = "", idB = "", idC = ""] = ids;
  const primary = await startCluster("sf-primary", { secure: true });
  defer(() => primary.destroy());
  const admin = new pg.Client({ connectionString: primary.url() });
  await admin.connect();
  await admin.query("CREATE DATABASE app");
  await admin.end();
  const standby = await startStandby(primary, "sf-standby");
  defer(() => standby.destroy());
  const dbB = await createSecureTestDatabase(secureStack, stack[1]?.id ?? "", "drill_sf");
  defer(() => dbB.drop());
  const dbC = await createSecureTestDatabase(secureStack, stack[2]?.id ?? "", "drill_sf");
  defer(() => dbC.drop());
  /** A's database, on whichever of its servers is the primary (one set of roles: "sf"). */
  const memberA = (port: number) => ({
    id: idA,
    db: { regionId: "sf", name: "app" },
    server: { host: "localhost", port },
  });
  const regions: DrillRegionConfig[] = [
    await members.region(memberA(primary.port), ids, primary.url("app"), await freePort()),
    await members.region({ id: idB, db: dbB }, ids, dbB.url, await freePort()),
    await members.region({ id: idC, db: dbC }, ids, dbC.url, await freePort()),
  ];
  const procs = regions.map((r) => drillReplicator(r, regions));
  for (const p of procs) defer(() => stopReplicator(p));
  for (const r of regions) await members.install(r);
  // One at a time: replicators starting together race to create the same topics.
  for (const p of procs) await p.start();
  await Promise.all(regions.map((r) => waitReady(r.id, r.httpPort)));
  const [poolB, poolC, poolStandby] = [
    readPool(dbB.url),
    readPool(dbC.url),
    readPool(standby.url("app")),
  ];

  const writers = regions.map((r, i) =>
    startWriter({
      region: r.id,
      label: i === 0 ? "primary" : "all",
      url: r.url,
      cameraIds,
      buckets,
      concurrency: 2,
      random: seededRandom(seed + i),
      paceMs: 10,
    }),
  );
  for (const w of writers) defer(() => w.stop());
  const [wA, wB, wC] = writers as [(typeof writers)[0], (typeof writers)[0], (typeof writers)[0]];
  const sumIn = async (pool: pg.Pool): Promise<bigint> =>
    grandTotal(await replicaComponents(pool, idA)).peopleIn;
  await waitFor(
    async () =>
      (await sumIn(poolStandby)) > 0n && (await sumIn(poolB)) > 0n && (await sumIn(poolC)) > 0n,
    { description: "A's writes replayed on the standby and merged in B and C", timeoutMs: 60_000 },
  );

  // The standby falls behind: cut off from the primary, it keeps only what it has replayed.
  await standby.detach();
  const onPrimary = readPool(primary.url("app"));
  await writeReport(onPrimary, {
    ...sentinel,
    peopleIn: 7,
    peopleOut: 0,
    vehicleIn: 0,
    vehicleOut: 0,
    homeRegion: idA,
    modelVersion: "sentinel",
  });
  await waitFor(
    async () =>
      (await userTotals(poolB)).get(sentinelKey)?.peopleIn === 7n &&
      (await userTotals(poolC)).get(sentinelKey)?.peopleIn === 7n,
    { description: "the sentinel committed on A's primary to reach B and C", timeoutMs: 60_000 },
  );

  // Disaster: A's primary server dies (kill -9 of every process), and its replicator with it.
  const failedAt = Date.now();
  await primary.kill9();
  await procs[0]?.kill9();
  // What A shipped before it died: B and C apply A's topic to its end. An operator would not
  // wait for this; the RTO figures leave this pause out.
  const measuring = Date.now();
  await waitTopicApplied(
    originTopic(idA),
    [
      { id: idB, pool: poolB },
      { id: idC, pool: poolC },
    ],
    secureTestKafka("georep-drill-drain"),
  );
  const shippedB = await replicaComponents(poolB, idA);
  expect(totalsDiff(shippedB, await replicaComponents(poolC, idA))).toEqual([]);
  const measuredMs = Date.now() - measuring;
  await standby.promote();
  const promotedAt = Date.now();
  const replayed = await replicaComponents(poolStandby, idA);
  const survived = maxTotals(shippedB, replayed);
  const shippedNotReplayed = excessOver(shippedB, replayed);
  // The drill is real: the primary shipped commits that the promoted standby never had.
  expect(shippedNotReplayed.peopleIn).toBeGreaterThan(0n);

  // Failover: A's writers and a new replicator process go to the promoted standby.
  wA.retarget("standby", standby.url("app"));
  const onStandby = await members.region(
    memberA(standby.port),
    ids,
    standby.url("app"),
    regions[0]?.httpPort ?? 0,
  );
  const after = regions.map((r, i) => (i === 0 ? onStandby : r));
  const procA = drillReplicator(after[0] as DrillRegionConfig, after);
  defer(() => stopReplicator(procA));
  const startedAt = Date.now();
  await procA.start();
  const readyAt = await waitReady(idA, after[0]?.httpPort ?? 0);
  await waitFor(() => wA.committed("standby").reports >= 100, {
    description: "100 writes committed on the promoted standby",
    timeoutMs: 60_000,
  });
  await Promise.all(writers.map((w) => w.stop()));
  const stoppedAt = Date.now();
  expect(wB.inDoubt.reports + wC.inDoubt.reports).toBe(0);

  const want = addTotals(
    wB.allCommitted(),
    wC.allCommitted(),
    wA.committed("standby").perKey,
    survived,
  );
  const primaryCommitted = addTotals(
    wA.committed("primary").perKey,
    new Map([[sentinelKey, { peopleIn: 7n, peopleOut: 0n, vehicleIn: 0n, vehicleOut: 0n }]]),
  );
  const figures = {
    seed,
    "primary committed (A)": show(grandTotal(primaryCommitted)),
    "  shipped before the failure": show(grandTotal(shippedB)),
    "  replayed by the standby": show(grandTotal(replayed)),
    "  shipped, not on the standby": show(shippedNotReplayed),
    "  in doubt at the kill (A)": `${wA.inDoubt.reports} writes`,
    "RPO: lost (never shipped nor replayed)": show(excessOver(primaryCommitted, survived)),
    "drill's pause to measure what was shipped (left out below)": seconds(measuredMs),
    "standby promoted after": seconds(promotedAt - failedAt - measuredMs),
    "RTO: A's replicator ready after": seconds(readyAt - failedAt - measuredMs),
    "  of which the new process starting up": seconds(readyAt - startedAt),
    "writes refused on the standby (55000, retried)": wA.refused,
    "committed on the standby (A)": show(grandTotal(wA.committed("standby").perKey)),
    "ground truth, all regions": show(grandTotal(want)),
  };
  const regionsNow = [
    { id: idA, pool: poolStandby },
    { id: idB, pool: poolB },
    { id: idC, pool: poolC },
  ];
  try {
    const identicalAt = await waitConverged(regionsNow, want, 60_000);
    printDrill("standby failover", {
      ...figures,
      "RTO: regions identical after": seconds(identicalAt - failedAt - measuredMs),
      "  of which draining after the writers stopped": seconds(identicalAt - stoppedAt),
    });
  } catch (error) {
    printDrill("standby failover (NOT converged)", figures);
    throw error;
  }
  for (const r of regionsNow)
    expect((await userTotals(r.pool)).get(sentinelKey)?.peopleIn, `sentinel in ${r.id}`).toBe(7n);
});
