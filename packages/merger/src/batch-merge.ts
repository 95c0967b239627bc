import type { Pool, PoolClient } from "pg";
import type { Envelope, RowsEnvelope } from "@georep/contract";
import type {
  BatchControls,
  ConsumedBatch,
  ConsumedMessage,
  DeadLetterRecord,
} from "@georep/kafka";
import type { Logger } from "@georep/observability";
import { backoffDelay } from "@georep/retry";
import type { Backoff } from "@georep/retry";
import type { MergeResult, MergeTransaction } from "./merge-transaction.ts";
import { MergeError } from "./errors.ts";
import type { BatchContext } from "./errors.ts";
import type { GroupRunner } from "./group-commit.ts";
import type { MergerDeadLetterReason } from "./routing.ts";
import { rowUnits, setAsideReason } from "./quarantine.ts";
import type { QuarantinedRow, RowUnit } from "./quarantine.ts";
import type { ProgressEntry } from "./sql/progress.ts";

/** What merging a batch needs; the batch processor's deps (batch.ts) extend it. */
export interface BatchMergeDeps {
  readonly pool: Pool;
  readonly mergeTransaction: MergeTransaction;
  readonly deadLetter: (records: readonly DeadLetterRecord[]) => Promise<void>;
  readonly logger: Logger;
  readonly transientRetries: number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface Dead {
  readonly message: ConsumedMessage;
  readonly reason: MergerDeadLetterReason;
  readonly detail: string;
}

/** topic/partition/offset of a message (the quarantine's and dead letters' source). */
export const sourceOf = (batch: ConsumedBatch, message: ConsumedMessage | undefined): string =>
  `${batch.topic}/${batch.partition}/${message?.offset ?? "?"}`;

/** A dead letter: original key, value and headers, plus reason, detail and source position. */
export const toDeadLetter = (dlq: string, batch: ConsumedBatch, d: Dead): DeadLetterRecord => ({
  topic: dlq,
  key: d.message.key,
  value: d.message.value,
  headers: {
    ...d.message.headers,
    "georep-dlq-reason": d.reason,
    "georep-dlq-detail": d.detail.slice(0, 1000),
    "georep-dlq-source": sourceOf(batch, d.message),
  },
});

/** Runs `work` on a pooled connection; a connection that failed in a way that may have broken it is discarded. */
async function withClient<T>(
  deps: BatchMergeDeps,
  work: (c: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await deps.pool.connect();
  let broken: Error | undefined;
  try {
    return await work(client);
  } catch (error) {
    broken = error as Error;
    throw error;
  } finally {
    const keep = broken === undefined || (broken instanceof MergeError && !broken.retriable);
    client.release(keep ? undefined : broken);
  }
}

/** Several partitions' batches, their envelopes and progress rows, in one transaction. */
export const groupRunner =
  (deps: BatchMergeDeps): GroupRunner =>
  (items) =>
    withClient(deps, (client) =>
      deps.mergeTransaction.run(
        client,
        {
          envelopes: items.flatMap((i) => i.rows),
          progress: items.map((i) => i.entry),
          quarantine: items.flatMap((i) => i.setAside ?? []),
        },
        { topic: items.map((i) => `${i.entry.topic}/${i.entry.partition}`).join(",") },
      ),
    );

/** What a batch merged alone did: the merge's counts, and every row it set aside. */
export interface SoloResult {
  readonly result: MergeResult;
  readonly setAside: readonly QuarantinedRow[];
}

export interface SoloBatch {
  readonly batch: ConsumedBatch;
  readonly rows: readonly RowsEnvelope[];
  readonly entry: ProgressEntry;
  /** Rows already set aside before merging (e.g. clock skew); more may join them here. */
  readonly setAside: QuarantinedRow[];
  readonly byEnvelope: ReadonlyMap<Envelope, ConsumedMessage>;
}

const sumResults = (a: MergeResult, b: MergeResult): MergeResult => ({
  stagedRows: a.stagedRows + b.stagedRows,
  stateRowsChanged: a.stateRowsChanged + b.stateRowsChanged,
  userRowsInserted: a.userRowsInserted + b.userRowsInserted,
  userRowsUpdated: a.userRowsUpdated + b.userRowsUpdated,
  userRowsDeleted: a.userRowsDeleted + b.userRowsDeleted,
  conflicts: a.conflicts + b.conflicts,
  lockWaitSeconds: a.lockWaitSeconds + b.lockWaitSeconds,
  sqlSeconds: a.sqlSeconds + b.sqlSeconds,
  attempts: Math.max(a.attempts, b.attempts),
});

/**
 * Merges `units` (one slice each), halving a refused set until each refused slice stands alone:
 * those are set aside with their reason, every other slice merges. k bad rows among n cost about
 * 2k·log2(n) transactions; each merged subset commits on its own (merging again is harmless).
 */
async function mergeOrSetAside(
  run: (envelopes: readonly RowsEnvelope[]) => Promise<MergeResult>,
  units: readonly RowUnit[],
  setAside: QuarantinedRow[],
): Promise<MergeResult | undefined> {
  try {
    return await run(units.map((u) => u.envelope));
  } catch (error) {
    const reason = error instanceof MergeError ? setAsideReason(error.sqlState) : undefined;
    if (reason === undefined || !(error instanceof MergeError)) throw error;
    const [only] = units;
    if (units.length === 1 && only !== undefined) {
      const detail = `${error.sqlState ?? ""}: ${errorText(error)}`;
      setAside.push({ ...only, reason, sqlState: error.sqlState, detail });
      return undefined;
    }
    const half = Math.ceil(units.length / 2);
    const first = await mergeOrSetAside(run, units.slice(0, half), setAside);
    const second = await mergeOrSetAside(run, units.slice(half), setAside);
    if (first === undefined || second === undefined) return first ?? second;
    return sumResults(first, second);
  }
}

/** The database's own words: the cause's message and detail, not our wrapper's. */
function errorText(error: MergeError): string {
  const cause = error.cause as { message?: unknown; detail?: unknown } | undefined;
  const message = typeof cause?.message === "string" ? cause.message : error.message;
  return typeof cause?.detail === "string" ? `${message} (${cause.detail})` : message;
}

/**
 * One partition's batch in its own transaction. When PostgreSQL refuses rows (class 22/23) or a
 * local lock holds them past lock_timeout, the refused rows alone are set aside in the quarantine,
 * in the transaction that records the batch's progress; every other row merges.
 */
async function mergeOnce(deps: BatchMergeDeps, b: SoloBatch): Promise<SoloResult> {
  const context: Partial<BatchContext> = {
    topic: b.batch.topic,
    partition: b.batch.partition,
    firstOffset: String(b.batch.messages[0]?.offset),
    lastOffset: String(b.entry.offset),
  };
  return withClient(deps, async (client) => {
    const setAside = [...b.setAside];
    const finish = (envelopes: readonly RowsEnvelope[]) =>
      deps.mergeTransaction.run(
        client,
        { envelopes, progress: [b.entry], quarantine: setAside },
        context,
      );
    try {
      return { result: await finish(b.rows), setAside };
    } catch (error) {
      const reason = error instanceof MergeError ? setAsideReason(error.sqlState) : undefined;
      if (reason === undefined || !(error instanceof MergeError) || b.rows.length === 0)
        throw error;
      deps.logger.warn(
        { ...context, sqlState: error.sqlState, err: error },
        "batch refused by PostgreSQL; finding the rows to set aside",
      );
      const units = rowUnits(b.rows, (e) => sourceOf(b.batch, b.byEnvelope.get(e)));
      const merged = await mergeOrSetAside(
        (envelopes) => deps.mergeTransaction.run(client, { envelopes, progress: [] }, context),
        units,
        setAside,
      );
      const done = await finish([]);
      return { result: merged === undefined ? done : sumResults(merged, done), setAside };
    }
  });
}

/** Delays between attempts of a batch that failed transiently. */
const TRANSIENT_BACKOFF: Backoff = { initialMs: 200, maxMs: 5_000 };

/** mergeOnce, retried with backoff after a lost connection or similar transient failure. */
export async function mergeAlone(
  deps: BatchMergeDeps,
  b: SoloBatch,
  controls: BatchControls,
): Promise<SoloResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await mergeOnce(deps, b);
    } catch (error) {
      if (
        !(error instanceof MergeError) ||
        !error.retriable ||
        attempt >= deps.transientRetries ||
        !controls.isActive()
      )
        throw error;
      deps.logger.warn(
        { err: error, attempt, topic: b.batch.topic, partition: b.batch.partition },
        "merge failed transiently; retrying the batch",
      );
      await deps.sleep(backoffDelay(TRANSIENT_BACKOFF, attempt - 1));
      await controls.heartbeat();
    }
  }
}
