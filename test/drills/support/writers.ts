// Camera writers that keep writing through a failover and count, as ground truth, only the
// increments whose COMMIT succeeded.
//
//   writing ──pause()──▶ paused (nothing in flight) ──retarget()/resume()──▶ writing
//      └───────────────────────stop()──────────────────────────────────▶ stopped
//
// A statement the server rejected (any SQLSTATE outside classes 08 and 57; 55000 is georep
// refusing writes until the new incarnation) or a connection that never opened did not commit:
// the same report is retried. A connection lost while the statement ran is in doubt: recorded
// apart, never retried (a retry could count it twice).
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { GroundTruth, writeReport } from "@georep/camera-service";
import type { CountReport } from "@georep/camera-service";
import { backoffDelay } from "@georep/retry";
import type { Backoff } from "@georep/retry";
import { sqlStateOf } from "@georep/schema";
import { waitFor } from "@georep/testkit";
import { addTotals } from "./totals.ts";
import type { KeyTotals } from "./totals.ts";

/** Delays after a refused or failed write (reset by a commit), and after one in doubt. */
const WRITER_BACKOFF: Backoff = { initialMs: 10, maxMs: 200 };

export interface WriterOptions {
  readonly region: string;
  /** What the first commits count under (e.g. "primary"); retarget() starts another label. */
  readonly label: string;
  readonly url: string;
  readonly cameraIds: readonly string[];
  readonly buckets: readonly string[];
  /** Concurrent sessions. */
  readonly concurrency: number;
  readonly random: () => number;
  /** Pause after each commit, to leave the 2 cores to the replicators. Default 0. */
  readonly paceMs?: number;
  /**
   * Share of reports (0..1) for a camera never written before (`fresh-<region>-<n>`): its row
   * reaches other regions only through that one transaction, where a later write to a hot key
   * would re-ship (and so hide the loss of) an earlier one. Default 0.
   */
  readonly freshKeyShare?: number;
}

export interface DrillWriter {
  readonly region: string;
  /** Committed increments under one label (empty when none). */
  committed(label: string): GroundTruth;
  /** Every committed increment, all labels together, per key. */
  allCommitted(): KeyTotals;
  /** Increments whose commit outcome is unknown (connection lost mid-statement). */
  readonly inDoubt: GroundTruth;
  /** Writes refused with SQLSTATE 55000 (retried), and other failed attempts (retried). */
  readonly refused: number;
  readonly failed: number;
  /** Waits until no statement is in flight; writers stay idle until resume() or retarget(). */
  pause(): Promise<void>;
  resume(): void;
  /** Writes from now on go to `url` (a fresh pool) and count under `label`; resumes. */
  retarget(label: string, url?: string): void;
  stop(): Promise<void>;
}

type Outcome = "committed" | "refused" | "failed" | "in-doubt";

function outcomeOf(error: unknown): Outcome {
  const state = sqlStateOf(error);
  if (state === "55000") return "refused";
  if (state !== undefined) {
    // 57P03: cannot connect now (starting up, in recovery): the statement was never sent.
    if (state === "57P03") return "failed";
    return state.startsWith("08") || state.startsWith("57") ? "in-doubt" : "failed";
  }
  // No server answered. ECONNREFUSED and friends: no connection, nothing sent. No code at all
  // ("Connection terminated unexpectedly"), ECONNRESET, EPIPE: the connection died under the
  // statement.
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH") return "failed";
  return "in-doubt";
}

function newPool(url: string, size: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: size, connectionTimeoutMillis: 5_000 });
  // An idle session whose server died emits 'error' on the pool; the pool drops that client.
  pool.on("error", () => undefined);
  return pool;
}

export function startWriter(o: WriterOptions): DrillWriter {
  const truths = new Map<string, GroundTruth>();
  const truth = (label: string): GroundTruth => {
    let t = truths.get(label);
    if (t === undefined) truths.set(label, (t = new GroundTruth()));
    return t;
  };
  const inDoubt = new GroundTruth();
  let target = { label: o.label, pool: newPool(o.url, o.concurrency) };
  let url = o.url;
  let paused = false;
  let stopped = false;
  let wake: () => void = () => undefined;
  let resumed = Promise.resolve();
  let inFlight = 0;
  const counts = { refused: 0, failed: 0 };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(o.random() * xs.length)] as T;
  let fresh = 0;
  const camera = (): string =>
    o.random() < (o.freshKeyShare ?? 0) ? `fresh-${o.region}-${(fresh += 1)}` : pick(o.cameraIds);
  const nextReport = (): CountReport => ({
    cameraId: camera(),
    bucket: pick(o.buckets),
    peopleIn: 1 + Math.floor(o.random() * 5),
    peopleOut: Math.floor(o.random() * 4),
    vehicleIn: Math.floor(o.random() * 3),
    vehicleOut: Math.floor(o.random() * 2),
    homeRegion: o.region,
    modelVersion: `v${1 + Math.floor(o.random() * 3)}`,
  });
  const attempt = async (report: CountReport): Promise<Outcome> => {
    const { label, pool } = target;
    inFlight += 1;
    try {
      await writeReport(pool, report);
      truth(label).record(report);
      return "committed";
    } catch (error) {
      return outcomeOf(error);
    } finally {
      inFlight -= 1;
    }
  };
  const worker = async (): Promise<void> => {
    let report = nextReport();
    let failures = 0;
    while (!stopped) {
      if (paused) {
        await resumed;
        continue;
      }
      const outcome = await attempt(report);
      switch (outcome) {
        case "committed":
          report = nextReport();
          failures = 0;
          if ((o.paceMs ?? 0) > 0) await delay(o.paceMs);
          break;
        case "in-doubt":
          inDoubt.record(report);
          report = nextReport();
          await delay(backoffDelay(WRITER_BACKOFF, failures));
          break;
        case "refused":
        case "failed":
          counts[outcome] += 1;
          await delay(backoffDelay(WRITER_BACKOFF, failures));
          failures += 1;
          break;
      }
    }
  };
  const workers = Promise.all(Array.from({ length: o.concurrency }, worker));
  const resume = (): void => {
    paused = false;
    wake();
  };
  return {
    region: o.region,
    committed: truth,
    allCommitted: () => addTotals(...[...truths.values()].map((t) => t.perKey)),
    inDoubt,
    get refused() {
      return counts.refused;
    },
    get failed() {
      return counts.failed;
    },
    async pause() {
      if (!paused) {
        paused = true;
        resumed = new Promise((resolve) => {
          wake = resolve;
        });
      }
      await waitFor(() => inFlight === 0, {
        description: `writers of ${o.region} to finish their statements`,
        timeoutMs: 30_000,
        intervalMs: 10,
      });
    },
    resume,
    retarget(label, to = url) {
      const old = target.pool;
      url = to;
      target = { label, pool: newPool(to, o.concurrency) };
      void old.end().catch(() => undefined);
      resume();
    },
    async stop() {
      stopped = true;
      resume();
      await workers;
      await target.pool.end().catch(() => undefined);
    },
  };
}
