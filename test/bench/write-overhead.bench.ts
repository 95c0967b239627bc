/**
 * Local write overhead of georep's capture triggers: the same camera-counting workload driven
 * by pgbench (a separate process, 4 clients) against `counting_results` with and without
 * georep installed, on the same cluster, in alternating rounds. Prints tps and the ratio
 * (target: with / without ≥ 0.7).
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import {
  countingResultsSpec,
  installSchema,
  parseInstallConfig,
  parseTableSpec,
  stateLayout,
  userTableSql,
} from "@georep/schema";
import { createTestDatabase, ensureStackUp } from "@georep/testkit";

const run = promisify(execFile);
const PGBENCH = "/usr/lib/postgresql/15/bin/pgbench";
const seconds = Number(process.env["BENCH_SECONDS"] ?? 6);
// Many short rounds, alternating which database goes first, so load drifting on a shared machine
// hits both sides alike; the ratio reported is the median of the per-round ratios.
const rounds = Number(process.env["BENCH_ROUNDS"] ?? 7);
const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const workloads = {
  "camera upsert (1 row/txn)": `\\set cam random(1, 500)
\\set b random(1, 24)
INSERT INTO counting_results (camera_id, bucket, people_in, people_out, status, model_version, home_region)
  VALUES ('cam-' || :cam, '2026-01-01'::timestamptz + make_interval(hours => :b), 1, 0, 'ok', 'v1', 'us-east')
  ON CONFLICT (camera_id, bucket) DO UPDATE SET people_in = counting_results.people_in + 1, people_out = counting_results.people_out + 1;
`,
  "increment + status (2 statements/txn)": `\\set cam random(1, 500)
\\set b random(1, 24)
BEGIN;
UPDATE counting_results SET people_in = people_in + 2 WHERE camera_id = 'cam-' || :cam AND bucket = '2026-01-01'::timestamptz + make_interval(hours => :b);
UPDATE counting_results SET status = CASE WHEN random() < 0.5 THEN 'ok' ELSE 'busy' END WHERE camera_id = 'cam-' || :cam AND bucket = '2026-01-01'::timestamptz + make_interval(hours => :b);
END;
`,
};

async function tps(url: string, script: string, duration = seconds): Promise<number> {
  const file = join(tmpdir(), `georep-bench-${process.pid}.sql`);
  writeFileSync(file, script);
  const { stdout } = await run(PGBENCH, [
    "-n",
    "-c",
    "4",
    "-j",
    "2",
    "-T",
    String(duration),
    "-f",
    file,
    url,
  ]);
  const match = /tps = ([0-9.]+)/.exec(stdout);
  if (match?.[1] === undefined) throw new Error(`pgbench printed no tps:\n${stdout}`);
  return Number(match[1]);
}

async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`INSERT INTO counting_results (camera_id, bucket, home_region)
    SELECT 'cam-' || c, '2026-01-01'::timestamptz + make_interval(hours => b), 'us-east' FROM generate_series(1, 500) c, generate_series(1, 24) b
    ON CONFLICT DO NOTHING`);
  await client.end();
}

async function main(): Promise<void> {
  await ensureStackUp();
  const plain = await createTestDatabase("us-east", "bench_plain");
  const georep = await createTestDatabase("us-east", "bench_georep");
  try {
    const p = new pg.Client({ connectionString: plain.url });
    await p.connect();
    const layout = stateLayout(parseTableSpec(countingResultsSpec));
    await p.query(userTableSql(layout));
    await p.end();
    const g = new pg.Client({ connectionString: georep.url });
    await g.connect();
    await installSchema(
      g,
      parseInstallConfig({
        region: "us-east",
        regions: [{ id: "us-east" }],
        tables: [countingResultsSpec],
      }),
    );
    await g.end();
    await seed(plain.url);
    await seed(georep.url);
    console.log(
      `local write overhead — pgbench, 4 clients, ${seconds}s × ${rounds} alternating rounds, median tps and median per-round ratio`,
    );
    for (const [name, script] of Object.entries(workloads)) {
      // Warm-up (caches, plans, HOT chains) on both sides, not counted.
      await tps(plain.url, script, 2);
      await tps(georep.url, script, 2);
      const without: number[] = [];
      const withTriggers: number[] = [];
      const ratios: number[] = [];
      for (let r = 0; r < rounds; r++) {
        let a: number;
        let b: number;
        if (r % 2 === 0) {
          a = await tps(plain.url, script);
          b = await tps(georep.url, script);
        } else {
          b = await tps(georep.url, script);
          a = await tps(plain.url, script);
        }
        without.push(a);
        withTriggers.push(b);
        ratios.push(b / a);
      }
      const a = median(without);
      const b = median(withTriggers);
      const spread = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
      console.log(
        `  ${name.padEnd(40)} without ${a.toFixed(0).padStart(7)} tps   with georep ${b.toFixed(0).padStart(7)} tps   ratio ${median(ratios).toFixed(2)} (rounds ${spread}; target ≥ 0.70)`,
      );
    }
  } finally {
    await plain.drop();
    await georep.drop();
  }
}

await main();
