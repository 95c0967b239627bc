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
import { isDataError, MergeError } from "./errors.ts";
import type { BatchContext } from "./errors.ts";
import type { GroupRunner } from "./group-commit.ts";
import type { MergerDeadLetterReason } from "./routing.ts";
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

/** A dead letter: original key, value and headers, plus reason, detail and source position. */
export const toDeadLetter = (dlq: string, batch: ConsumedBatch, d: Dead): DeadLetterRecord => ({
  topic: dlq,
  key: d.message.key,
  value: d.message.value,
  headers: {
    ...d.message.headers,
    "georep-dlq-reason": d.reason,
    "georep-dlq-detail": d.detail.slice(0, 1000),
    "georep-dlq-source": `${batch.topic}/${batch.partition}/${d.message.offset}`,
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
        { envelopes: items.flatMap((i) => i.rows), progress: items.map((i) => i.entry) },
        { topic: items.map((i) => `${i.entry.topic}/${i.entry.partition}`).join(",") },
      ),
    );

export interface SoloBatch {
  readonly batch: ConsumedBatch;
  readonly rows: readonly RowsEnvelope[];
  readonly entry: ProgressEntry;
  readonly dead: Dead[];
  readonly byEnvelope: ReadonlyMap<Envelope, ConsumedMessage>;
}

/**
 * One partition's batch in its own transaction. When PostgreSQL refuses the data (class 22/23),
 * the envelopes are merged one by one and the refused ones dead-lettered as `rejected`.
 */
async function mergeOnce(deps: BatchMergeDeps, dlq: string, b: SoloBatch): Promise<MergeResult> {
  const context: Partial<BatchContext> = {
    topic: b.batch.topic,
    partition: b.batch.partition,
    firstOffset: String(b.batch.messages[0]?.offset),
    lastOffset: String(b.entry.offset),
  };
  return withClient(deps, async (client) => {
    try {
      return await deps.mergeTransaction.run(
        client,
        { envelopes: b.rows, progress: [b.entry] },
        context,
      );
    } catch (error) {
      if (!(error instanceof MergeError) || !isDataError(error.sqlState) || b.rows.length === 0)
        throw error;
      deps.logger.warn(
        { ...context, sqlState: error.sqlState, err: error },
        "batch refused by PostgreSQL; merging envelope by envelope",
      );
      for (const envelope of b.rows) {
        try {
          await deps.mergeTransaction.run(client, { envelopes: [envelope], progress: [] }, context);
        } catch (inner) {
          if (!(inner instanceof MergeError) || !isDataError(inner.sqlState)) throw inner;
          const message = b.byEnvelope.get(envelope);
          const detail = `${inner.sqlState ?? ""}: ${inner.message}`;
          if (message !== undefined) b.dead.push({ message, reason: "rejected", detail });
        }
      }
      await deps.deadLetter(
        b.dead.filter((d) => d.reason === "rejected").map((d) => toDeadLetter(dlq, b.batch, d)),
      );
      return await deps.mergeTransaction.run(
        client,
        { envelopes: [], progress: [b.entry] },
        context,
      );
    }
  });
}

/** Delays between attempts of a batch that failed transiently. */
const TRANSIENT_BACKOFF: Backoff = { initialMs: 200, maxMs: 5_000 };

/** mergeOnce, retried with backoff after a lost connection or similar transient failure. */
export async function mergeAlone(
  deps: BatchMergeDeps,
  dlq: string,
  b: SoloBatch,
  controls: BatchControls,
): Promise<MergeResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await mergeOnce(deps, dlq, b);
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
