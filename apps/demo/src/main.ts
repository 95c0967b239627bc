/**
 * The three-region demo: every region accepts plain-SQL camera counts at the same time, for the
 * same cameras; each region's replicator runs as its own process, as deployed, capturing,
 * shipping through Kafka and merging; then the demo proves every region holds identical rows
 * and every total equals what was sent.
 *   pnpm demo [--reports 3000] [--seed 42]
 */
import pg from "pg";
import { parseOrExit } from "@georep/command-line";
import { GroundTruth, runFleet, seededRandom } from "@georep/camera-service";
import { countingResultsSpec, parseTableSpec, stateLayout } from "@georep/schema";
import { devKafka, freePort, readEndpoints, replicatorProcess, waitFor } from "@georep/testkit";
import type { ReplicatorProcess } from "@georep/testkit";
import { verifyRegions } from "@georep/verify";
import { parseDemoArgs } from "./args.ts";
import { createLagWindow, liveLine } from "./live-view.ts";
import { finalReport, totalsMatch } from "./report.ts";
import { dropDemo, resetDemo } from "./setup.ts";

const args = parseOrExit(() => parseDemoArgs(process.argv.slice(2)));
const reportsPerRegion = args.reports;
const seed = args.seed ?? Date.now() % 1_000_000;
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const endpoints = readEndpoints();
out(
  `georep demo — ${endpoints.regions.length} regions, ${reportsPerRegion} camera reports per region, seed ${seed}`,
);
const urls = await resetDemo(endpoints);
const replicators: ReplicatorProcess[] = [];
for (const r of endpoints.regions) {
  const replicator = replicatorProcess(r.id, {
    region: r.id,
    regions: endpoints.regions.map((x) => ({ id: x.id })),
    postgres: { url: urls.get(r.id) },
    kafka: devKafka(endpoints.kafka.brokers),
    redis: { url: endpoints.redis.url },
    tables: ["counting_results"],
    http: { port: await freePort() },
  });
  await replicator.start();
  replicators.push(replicator);
}
out(
  `replicators active in every region, one process each (logs: ${replicators.map((r) => r.logPath).join(" ")})`,
);
out(
  "cameras start uploading their cumulative counts (retry-safe, the same cameras everywhere); lag is a commit in one region becoming visible in another, over the last second",
);

const pools = endpoints.regions.map((r) => ({
  region: r.id,
  pool: new pg.Pool({ connectionString: urls.get(r.id), max: 6 }),
}));
const written = new Map(pools.map((p) => [p.region, 0]));
const cameraIds = Array.from({ length: 40 }, (_, i) => `cam-${String(i).padStart(3, "0")}`);
const buckets = Array.from({ length: 12 }, (_, i) =>
  new Date(Date.UTC(2026, 10, 22, i)).toISOString(),
);
const started = Date.now();
const lag = createLagWindow(replicators);
const ticker = setInterval(() => {
  const views = pools.map((p) => ({ ...p, written: () => written.get(p.region) ?? 0 }));
  liveLine(views, lag, Date.now() - started).then(out, () => undefined);
}, 1000);
const truth = new GroundTruth();
await Promise.all(
  pools.map((p, i) =>
    runFleet(
      {
        region: p.region,
        pool: p.pool,
        cameraIds,
        buckets,
        concurrency: 4,
        random: seededRandom(seed + i),
        onReport: () => written.set(p.region, (written.get(p.region) ?? 0) + 1),
      },
      reportsPerRegion,
      truth,
    ),
  ),
);
const writesDone = Date.now();
out(
  `all ${truth.reports} reports committed in ${((writesDone - started) / 1000).toFixed(1)}s; waiting for every region to converge…`,
);
const layouts = [stateLayout(parseTableSpec(countingResultsSpec))];
let ok = true;
try {
  await waitFor(
    async () =>
      (await verifyRegions(pools, layouts)).identical && (await totalsMatch(pools, truth)),
    {
      description: "every region identical and equal to the ground truth",
      timeoutMs: 180_000,
      intervalMs: 250,
    },
  );
} catch (error) {
  out(`NOT CONVERGED: ${(error as Error).message}`);
  ok = false;
}
clearInterval(ticker);
ok =
  (await finalReport({
    pools,
    layouts,
    truth,
    out,
    convergeMs: Date.now() - writesDone,
    writeMs: writesDone - started,
  })) && ok;
for (const r of replicators) await r.stop();
await Promise.all(pools.map((p) => p.pool.end()));
if (args.keep) {
  out(
    `databases kept for inspection: ${[...urls.values()].join(" ")} (their slots hold WAL until the next demo run)`,
  );
} else {
  await dropDemo(endpoints); // idle slots would otherwise hold WAL on the clusters until the next run
}
process.exit(ok ? 0 : 1);
