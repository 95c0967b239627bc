/**
 * The cost of envelope signing (docs/security.md, "Envelope signing"), in one run:
 *   sign / verify    CPU per record, on a small (1-row) and a large (100-row) envelope
 *   capture          reader + shipper to Kafka (acks=all) over the same WAL, unsigned vs signed
 *   apply            the apply bench's merger, unsigned vs verifying, on uniform keys packed one
 *                    row per envelope (a signature per change: the worst case) and 100 per envelope
 * Runs alternate (unsigned first, then signed first) over BENCH_REPEAT rounds; each ratio is the
 * median of the rounds' signed / unsigned figures: throughput (wall clock) and this process's CPU
 * per change (the steadier of the two on a shared machine).
 *   pnpm bench signing   (BENCH_CHANGES=20000 apply changes, BENCH_CAPTURE_CHANGES=100000,
 *                         BENCH_REPEAT=2 by default)
 */
import { generateKeyPairSync } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { createEnvelopeSigner, createEnvelopeVerifier, encodeEnvelope } from "@georep/contract";
import { ensureStackUp } from "@georep/testkit";
import { mergerApplyRate } from "./apply-merger.ts";
import { incrementSlice, uniformWorkload } from "./apply-workload.ts";
import type { Workload } from "./apply-workload.ts";
import { captureBed } from "./signing-capture.ts";

const changes = Number(process.env["BENCH_CHANGES"] ?? 20_000);
const captureChanges = Number(process.env["BENCH_CAPTURE_CHANGES"] ?? 100_000);
const repeat = Number(process.env["BENCH_REPEAT"] ?? 2);
const keys = generateKeyPairSync("ed25519");

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
const summary: string[] = [];

interface Measured {
  readonly changesPerSecond: number;
  readonly cpuMicrosPerChange: number;
  /** Kafka records per change, when known: each signed record is one signature. */
  readonly recordsPerChange?: number;
}

/**
 * Runs `measure` unsigned and signed, alternating which goes first, and prints both ratios:
 * throughput (wall clock, swayed by whatever else the machine runs) and this process's CPU per
 * change (what signing adds, much less swayed by other jobs).
 */
async function compare(
  name: string,
  measure: (key: KeyObject | undefined) => Promise<Measured>,
): Promise<void> {
  process.stdout.write(`${name}\n`);
  const rates: number[] = [];
  const cpus: number[] = [];
  for (let round = 1; round <= repeat; round++) {
    const order = round % 2 === 1 ? [false, true] : [true, false];
    const got = new Map<boolean, Measured>();
    for (const signed of order)
      got.set(signed, await measure(signed ? keys.privateKey : undefined));
    const plain = got.get(false);
    const signed = got.get(true);
    if (plain === undefined || signed === undefined) throw new Error("bench: a run is missing");
    rates.push(signed.changesPerSecond / plain.changesPerSecond);
    cpus.push(signed.cpuMicrosPerChange / plain.cpuMicrosPerChange);
    const records =
      signed.recordsPerChange === undefined
        ? ""
        : `, ${signed.recordsPerChange.toFixed(3)} records/change`;
    process.stdout.write(
      `  round ${round}: unsigned ${fmt(plain.changesPerSecond)} changes/s (${plain.cpuMicrosPerChange.toFixed(1)} µs CPU/change), ` +
        `signed ${fmt(signed.changesPerSecond)} changes/s (${signed.cpuMicrosPerChange.toFixed(1)} µs CPU/change)${records}\n`,
    );
  }
  const line = `${name}: signed / unsigned throughput ${median(rates).toFixed(2)}×, CPU per change ${median(cpus).toFixed(2)}× (medians of ${repeat} rounds)`;
  summary.push(line);
  process.stdout.write(`  ${line}\n`);
}

/** Microseconds of CPU per sign and per verify of an envelope of `rows` slices. */
function cpuPerRecord(rows: number): { bytes: number; signUs: number; verifyUs: number } {
  const value = encodeEnvelope({
    v: 1,
    kind: "rows",
    origin: "us-east",
    lsn: "0/1",
    commitTime: Date.now(),
    rows: Array.from({ length: rows }, (_v, i) => incrementSlice(i, 1000 + i)),
  });
  const signer = createEnvelopeSigner(keys.privateKey);
  const verifier = createEnvelopeVerifier({ keys: new Map([["us-east", [keys.publicKey]]]) });
  const n = 5_000;
  const headers = signer.headers("georep.us-east", 0, value);
  // CPU time, not wall time: another job on the machine delays a loop but does not add to it.
  const micros = (c: NodeJS.CpuUsage): number => (c.user + c.system) / n;
  let t = process.cpuUsage();
  for (let i = 0; i < n; i++) signer.headers("georep.us-east", i % 6, value);
  const signUs = micros(process.cpuUsage(t));
  t = process.cpuUsage();
  for (let i = 0; i < n; i++)
    if (!verifier.verify("us-east", "georep.us-east", 0, value, headers).ok)
      throw new Error("bench: a signature of ours did not verify");
  const verifyUs = micros(process.cpuUsage(t));
  return { bytes: value.length, signUs, verifyUs };
}

await ensureStackUp();
for (const rows of [1, 100]) {
  const c = cpuPerRecord(rows);
  const line = `sign ${c.signUs.toFixed(1)} µs, verify ${c.verifyUs.toFixed(1)} µs per record of ${rows} row(s) (${fmt(c.bytes)} bytes)`;
  summary.push(line);
  process.stdout.write(`${line}\n`);
}

const bed = await captureBed(captureChanges, 10, 2 * repeat);
try {
  await compare(
    `capture: ${fmt(captureChanges)} inserts in transactions of 10, reader + shipper, Kafka acked`,
    async (key) => {
      const run = await bed.run(key);
      return { ...run, recordsPerChange: run.messages / captureChanges };
    },
  );
} finally {
  await bed.close();
}

const apply = (w: Workload): Promise<void> =>
  compare(`apply: ${w.name}, ${fmt(w.changes)} changes on ${fmt(w.keys)} keys`, (key) =>
    mergerApplyRate(
      w,
      key === undefined ? undefined : { privateKey: key, publicKey: keys.publicKey },
    ).then((r) => ({
      changesPerSecond: r.wholeRunChangesPerSecond,
      cpuMicrosPerChange: r.cpuMicrosPerChange,
      recordsPerChange: r.envelopes / w.changes,
    })),
  );
// One row per envelope: a signature to check for every change, the worst case for verifying.
await apply({
  ...uniformWorkload(changes),
  name: "uniform keys, one row per envelope",
  perEnvelope: 1,
});
await apply(uniformWorkload(changes));

process.stdout.write(
  `\nsummary (machine load ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores; others' jobs skew single rounds):\n  ${summary.join("\n  ")}\n`,
);
process.exit(0);
