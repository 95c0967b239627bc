/**
 * The lag benches' load, shared so georep and the native-replication anchor see the same one:
 * `rate` commits per second per region, paced against the clock (not "as fast as possible"),
 * spread over `writers` connections, each commit one upsert incrementing a counter on one of
 * KEYS keys per region; then a bounded wait for every write to arrive in the other regions.
 */
import { WaitForTimeoutError, waitFor } from "@georep/testkit";

/** Keys written per region: write i increments `keyOf(region, i)`. */
export const KEYS = 2000;

export const keyOf = (region: number, i: number): string => `cam-${region}-${i % KEYS}`;

/** One commit of the load: increments people_in of ($1 = key, $2 = bucket) in counting_results. */
export const COUNT_UPSERT = `INSERT INTO counting_results (camera_id, bucket, people_in, status) VALUES ($1, $2, 1, 'ok')
  ON CONFLICT (camera_id, bucket) DO UPDATE SET people_in = counting_results.people_in + 1`;

/** The bucket the lag bench writes to. */
export const LAG_BUCKET = "2026-11-22T10:00:00Z";

/** Connections per region: enough that one slow commit does not hold back the pace. */
export const writersFor = (rate: number): number =>
  Number(process.env["BENCH_WRITERS"] ?? Math.max(8, Math.ceil(rate / 250)));

/** Longest wait for a window's writes to arrive everywhere; past it the rate is not sustained. */
export const drainSeconds = (): number => Number(process.env["BENCH_DRAIN_SECONDS"] ?? 30);

export interface Paced {
  /** Commits made. */
  readonly sent: number;
  /** Seconds from the first due time to the last commit. */
  readonly seconds: number;
}

/**
 * Runs `write(i)` for i = 0, 1, … with write i due at start + i / rate, on `writers` concurrent
 * connections, until the next write would be due at or after `stopAt` (epoch ms) or `signal`
 * is aborted (writes already started still finish before it resolves).
 */
export async function pacedWrites(
  rate: number,
  writers: number,
  stopAt: number,
  write: (i: number) => Promise<unknown>,
  signal?: AbortSignal,
): Promise<Paced> {
  const start = Date.now();
  let sent = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const due = start + (sent * 1000) / rate;
      if (due >= stopAt || signal?.aborted === true) return;
      const i = sent++;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await write(i);
    }
  };
  await Promise.all(Array.from({ length: writers }, worker));
  return { sent, seconds: (Date.now() - start) / 1000 };
}

export interface Drained {
  /** Whether `arrived()` reached `expected` in time. */
  readonly complete: boolean;
  /** The last count seen. */
  readonly arrived: number;
  /** Seconds waited. */
  readonly waited: number;
}

/** Polls `arrived()` until it reaches `expected` or `seconds` pass; never throws on the timeout. */
export async function drain(
  arrived: () => Promise<number>,
  expected: number,
  seconds: number,
  description: string,
): Promise<Drained> {
  const t0 = performance.now();
  let last = 0;
  try {
    await waitFor(
      async () => {
        last = await arrived();
        return last >= expected;
      },
      { description, timeoutMs: seconds * 1000, intervalMs: 100 },
    );
  } catch (error) {
    if (!(error instanceof WaitForTimeoutError)) throw error;
  }
  return { complete: last >= expected, arrived: last, waited: (performance.now() - t0) / 1000 };
}
