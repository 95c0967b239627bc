// Profile of the merge: time per client round trip, and the PostgreSQL backend's CPU per batch
// (/proc), with 3-row and 100-row batches (with and without register writes) and 2,000-row
// batches on 20k existing keys (KEYS=…), one connection, no Kafka.
//   npx tsx test/bench/apply-profile.ts      (KEEP=1 keeps the database and prints its URL)
import pg from "pg";
import type { RowSlice } from "@georep/contract";
import { createMergeTransaction } from "@georep/merger";
import { silentLogger } from "@georep/observability";
import {
  countingResultsSpec,
  installSchema,
  parseInstallConfig,
  parseTableSpec,
} from "@georep/schema";
import { createTestDatabase } from "@georep/testkit";
import { clockTicks, readProcStat } from "./proc-cpu.ts";

const spec = parseTableSpec(countingResultsSpec);
const db = await createTestDatabase("eu-west", "prof");
const client = new pg.Client({ connectionString: db.url });
await client.connect();
const [origin, target] = ["oprof", "tprof"];
await installSchema(
  client,
  parseInstallConfig({
    region: target,
    regions: [{ id: origin }, { id: target }],
    tables: [countingResultsSpec],
  }),
);
const times = new Map<string, number[]>();
const orig = client.query.bind(client) as (...a: unknown[]) => Promise<unknown>;
let label = "";
(client as unknown as { query: unknown }).query = async (...a: unknown[]) => {
  const t0 = performance.now();
  const r = await orig(...a);
  const q = a[0] as string | { name?: string; text: string };
  const text = typeof q === "string" ? q : q.text;
  const key = label + " " + text.replace(/\s+/g, " ").slice(0, 60);
  const arr = times.get(key) ?? [];
  arr.push(performance.now() - t0);
  times.set(key, arr);
  return r;
};
const mergeTransaction = createMergeTransaction({ tables: [spec], logger: silentLogger() });
const slice = (k: number, n: number, withReg: boolean): RowSlice => ({
  table: "public.counting_results",
  key: { camera_id: `cam-${k}`, bucket: "2026-01-01 00:00:00+00" },
  zone: null,
  counters: { people_in__p: String(n) },
  registers: withReg ? { status: { v: "ok", t: String(65536000 + n) } } : {},
  ins: withReg ? String(65536000) : null,
  del: null,
  delBase: null,
});
const KEYS = Number(process.env["KEYS"] ?? 20000);
for (let i = 0; i < KEYS; i += 5000) {
  await mergeTransaction.run(client, {
    envelopes: [
      {
        v: 1,
        kind: "rows",
        origin,
        lsn: "0/1",
        commitTime: 0,
        rows: Array.from({ length: Math.min(5000, KEYS - i) }, (_x, j) => slice(i + j, 0, true)),
      },
    ],
    progress: [],
  });
}
times.clear();
const backendPid = (await orig("SELECT pg_backend_pid() AS pid")) as { rows: [{ pid: number }] };
const backendTicks = (): number => {
  const stat = readProcStat(backendPid.rows[0].pid);
  if (stat === undefined)
    throw new Error(
      "the PostgreSQL backend's /proc entry is not visible: run against a local cluster",
    );
  return stat.ticks;
};
// One partition's offsets run on across the profiles: each batch's fence (`after`) is the offset
// the previous batch recorded, as a merge worker's would be.
let offset = 0n;
for (const [name, size, iters, reg] of [
  ["small3", 3, 300, true],
  ["small3-noreg", 3, 300, false],
  ["big100", 100, 100, false],
  ["big100-reg", 100, 300, true],
  ["big2000", 2000, 10, false],
] as const) {
  label = name;
  let n = 1;
  const cpu0 = backendTicks();
  const t0 = performance.now();
  for (let it = 0; it < iters; it++) {
    const rows = Array.from({ length: size }, () =>
      slice(Math.floor(Math.random() * KEYS), n++, reg),
    );
    await mergeTransaction.run(client, {
      envelopes: [{ v: 1, kind: "rows", origin, lsn: "0/1", commitTime: Date.now(), rows }],
      progress: [
        {
          topic: "t",
          partition: 0,
          origin,
          offset,
          lsn: "0/1",
          commitTime: Date.now(),
          after: offset === 0n ? null : offset - 1n,
        },
      ],
    });
    offset += 1n;
  }
  const total = performance.now() - t0;
  const cpuMs = ((backendTicks() - cpu0) * 1000) / clockTicks();
  console.log(
    `${name}: ${(total / iters).toFixed(2)} ms/batch, ${((size * iters) / (total / 1000)).toFixed(0)} rows/s, backend CPU ${(cpuMs / iters).toFixed(2)} ms/batch`,
  );
  for (const [k, v] of times)
    if (k.startsWith(name + " "))
      console.log(`   ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(2)} ms  ${k}`);
}
await client.end();
if (process.env["KEEP"]) console.log(db.url);
else await db.drop();
