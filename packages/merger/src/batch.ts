import type { Envelope, HeartbeatEnvelope, RowsEnvelope } from "@georep/contract";
import { deadLetterTopic } from "@georep/contract";
import type {
  BatchControls,
  BatchOutcome,
  ConsumedBatch,
  ConsumedMessage,
  DeadLetterRecord,
} from "@georep/kafka";
import { partitionId } from "@georep/kafka";
import type { WallClock } from "@georep/observability";
import { groupRunner, mergeAlone, sourceOf, toDeadLetter } from "./batch-merge.ts";
import type { BatchMergeDeps, Dead, SoloResult } from "./batch-merge.ts";
import { MergeError } from "./errors.ts";
import { FENCED_SQLSTATE } from "./sql/progress-fence.ts";
import { createGroupCommit } from "./group-commit.ts";
import { missingOffsets, offsetRanges, recordGap } from "./gaps.ts";
import type { MergerMetrics } from "./metrics.ts";
import type { ProgressStore } from "./progress-store.ts";
import { clockSkewOf, receivedCommitTime } from "./clock-bounds.ts";
import type { QuarantinedRow } from "./quarantine.ts";
import { routeMessage } from "./routing.ts";
import type { RoutingContext, SourceTopic } from "./routing.ts";
import type { ProgressEntry } from "./sql/progress.ts";
import type { HeardBeat } from "./collection/heartbeat-record.ts";

/** The pool, merge transaction, dead-letter sink, logger and retry settings come from BatchMergeDeps. */
export interface BatchProcessorDeps extends BatchMergeDeps {
  readonly routing: RoutingContext;
  readonly sources: ReadonlyMap<string, SourceTopic>;
  readonly progress: ProgressStore;
  readonly metrics: MergerMetrics;
  /** Wall clock for the end-to-end lag (now − source commit time), injected for tests. */
  readonly clock: WallClock;
  /** Group commit cap: total row slices per grouped transaction (default 20,000). */
  readonly maxGroupRows?: number | undefined;
  /** Remote stamps further ahead of the clock than this are set aside as `clock-skew`. */
  readonly maxForwardSkewMs: number;
  /** Called after a batch committed, with the envelopes it merged (read paths refresh from it). */
  readonly onApplied?: ((envelopes: readonly RowsEnvelope[]) => void) | undefined;
  /** Called after a batch committed with its newest heartbeat (tombstone collection's progress). */
  readonly onHeartbeat?: ((heard: HeardBeat) => Promise<void>) | undefined;
}

/**
 * Dead letters that may be a change of the topic's origin (refused for its form, size, version or
 * signature); not an envelope of another region on it (own-origin, wrong-topic, unknown-origin).
 */
const MAY_BE_A_CHANGE: ReadonlySet<string> = new Set([
  "oversized",
  "malformed",
  "unknown-version",
  "bad-signature",
]);

/**
 * One Kafka batch (one partition): skip what the database says is applied, dead-letter bad
 * messages, merge the good ones and record progress in one transaction, then report the batch
 * consumed so the consumer commits Kafka's offset.
 */
export function createBatchProcessor(
  deps: BatchProcessorDeps,
): (batch: ConsumedBatch, controls: BatchControls) => Promise<BatchOutcome> {
  const repositioned = new Set<string>();
  const dlq = deadLetterTopic(deps.routing.region);

  const group = createGroupCommit(groupRunner(deps), { maxRows: deps.maxGroupRows });
  const toDead = (batch: ConsumedBatch, d: Dead): DeadLetterRecord => toDeadLetter(dlq, batch, d);

  return async (batch, controls) => {
    const source = deps.sources.get(batch.topic);
    const last = batch.messages[batch.messages.length - 1];
    if (source === undefined || last === undefined)
      return { kind: "consumed", through: last?.offset ?? -1n };
    const id = `${batch.topic}:${batch.partition}`;
    const expected = deps.progress.nextOffset(batch.topic, batch.partition);
    const fresh =
      expected === undefined ? batch.messages : batch.messages.filter((m) => m.offset >= expected);
    const first = fresh[0];
    if (first === undefined) return { kind: "consumed", through: last.offset };
    if (expected !== undefined && first.offset > expected && !repositioned.has(id)) {
      repositioned.add(id); // Kafka is ahead of the database (restored backup?): read again from the database's position
      deps.logger.warn(
        {
          topic: batch.topic,
          partition: batch.partition,
          kafkaOffset: String(first.offset),
          dbNext: String(expected),
        },
        "re-reading from the database's progress",
      );
      return { kind: "seek", offset: expected };
    }
    repositioned.add(id);
    // Still above the durable next offset after reading again from it (or at any later batch):
    // Kafka deleted those records, and a seek there went out of range and was reset to the
    // earliest offset. Recorded for repair before progress moves past them, then what follows is
    // merged; the fence compares with `after` (the offset last read), so the gap does not trip it.
    const missing = missingOffsets(expected, first.offset);
    // The position in memory may be stale (this worker paused while another of the region's
    // workers applied the partition, or the database was restored): a gap is only a gap past
    // what the database has applied. Read on from there; a real gap shows again after the seek.
    if (missing !== undefined && (await durableNext(deps, batch)) !== expected)
      return fenced(deps, batch, first.offset);
    if (missing !== undefined)
      await recordGap(deps, {
        origin: source.origin,
        topic: batch.topic,
        partition: batch.partition,
        fromOffset: missing.from,
        toOffset: missing.to,
      });
    const started = performance.now();
    const now = deps.clock();
    if (first.timestamp !== undefined && Number.isFinite(first.timestamp))
      deps.metrics.observeKafkaWait((now - first.timestamp) / 1000);
    const dead: Dead[] = [];
    const rows: RowsEnvelope[] = [];
    const setAside: QuarantinedRow[] = [];
    const byEnvelope = new Map<Envelope, ConsumedMessage>();
    let newest: Envelope | undefined;
    let beat: HeartbeatEnvelope | undefined;
    for (const message of fresh) {
      const routed = routeMessage(source, message.value, deps.routing, {
        partition: batch.partition,
        headers: message.headers,
      });
      if (routed.kind === "dead") {
        dead.push({ message, reason: routed.reason, detail: routed.detail });
        continue;
      }
      const envelope = boundCommitTime(routed.envelope, now);
      if (newest === undefined || envelope.commitTime >= newest.commitTime) newest = envelope;
      if (envelope.kind !== "rows") {
        beat = envelope;
        continue;
      }
      for (const m of routed.mismatched)
        setAside.push({
          envelope: { ...envelope, rows: [m.slice] },
          reason: "schema-mismatch",
          sqlState: undefined,
          detail: `${m.detail}: replay once this region's spec has it`,
          source: sourceOf(batch, message),
        });
      const kept = envelope.rows.filter((row) => {
        const skew = clockSkewOf(row, now, deps.maxForwardSkewMs);
        if (skew === undefined) return true;
        setAside.push({
          envelope: { ...envelope, rows: [row] },
          reason: "clock-skew",
          sqlState: undefined,
          detail: skew,
          source: sourceOf(batch, message),
        });
        return false;
      });
      if (kept.length === 0) continue;
      const merged = kept.length === envelope.rows.length ? envelope : { ...envelope, rows: kept };
      rows.push(merged);
      byEnvelope.set(merged, message);
    }
    await deps.deadLetter(dead.map((d) => toDead(batch, d)));
    // A dead letter may be a change of the origin this region does not apply: like records Kafka
    // deleted, a gap until repair from the origin brings its state, so that this region reports
    // nothing past it to tombstone collection. Recorded before progress moves past it.
    const changes = dead.filter((d) => MAY_BE_A_CHANGE.has(d.reason));
    for (const range of offsetRanges(changes.map((d) => d.message.offset)))
      await recordGap(
        deps,
        {
          origin: source.origin,
          topic: batch.topic,
          partition: batch.partition,
          fromOffset: range.from,
          toOffset: range.to,
        },
        "dead-lettered",
      );
    const entry: ProgressEntry = {
      topic: batch.topic,
      partition: batch.partition,
      origin: source.origin,
      offset: last.offset,
      lsn: newest?.lsn ?? null,
      commitTime: newest?.commitTime ?? null,
      after: expected === undefined ? null : expected - 1n,
    };
    // Batches of several partitions arriving together share one transaction (group commit);
    // if that transaction fails, this batch is merged on its own with the full error handling.
    const grouped = await group.submit({ rows, entry, setAside });
    let merged: SoloResult;
    try {
      merged =
        grouped === undefined
          ? await mergeAlone(deps, { batch, rows, entry, setAside, byEnvelope }, controls)
          : { result: grouped, setAside };
    } catch (error) {
      if (!(error instanceof MergeError) || error.sqlState !== FENCED_SQLSTATE) throw error;
      return fenced(deps, batch, first.offset);
    }
    const { result, setAside: quarantined } = merged;
    observeLag(deps, source.origin, rows);
    deps.progress.advance(
      batch.topic,
      batch.partition,
      source.origin,
      last.offset,
      entry.commitTime,
    );
    if (rows.length > 0) deps.onApplied?.(rows);
    if (beat !== undefined)
      await deps.onHeartbeat?.({ ...source, partition: batch.partition, beat });
    deps.metrics.recordBatch(
      source.origin,
      result,
      dead.map((d) => d.reason),
      (performance.now() - started) / 1000,
    );
    if (quarantined.length > 0) {
      deps.metrics.quarantined(quarantined.map((q) => q.reason));
      deps.logger.warn(
        {
          topic: batch.topic,
          partition: batch.partition,
          rows: quarantined.length,
          reasons: [...new Set(quarantined.map((q) => q.reason))],
        },
        "rows set aside in the quarantine (georep dlq list)",
      );
    }
    return { kind: "consumed", through: last.offset };
  };
}

/** The database's next offset for the batch's partition (undefined: no progress row). */
async function durableNext(
  deps: BatchProcessorDeps,
  batch: ConsumedBatch,
): Promise<bigint | undefined> {
  const durable = await deps.progress.load([{ topic: batch.topic, partition: batch.partition }]);
  return durable.get(partitionId(batch.topic, batch.partition));
}

/**
 * Another worker of this region applied the partition past where this one read it (a rebalance,
 * or this worker paused): nothing of the batch was applied here. Reload the partition's position
 * from the database and read on from there.
 */
async function fenced(
  deps: BatchProcessorDeps,
  batch: ConsumedBatch,
  firstOffset: bigint,
): Promise<BatchOutcome> {
  await deps.progress.load([{ topic: batch.topic, partition: batch.partition }]);
  const next = deps.progress.nextOffset(batch.topic, batch.partition) ?? firstOffset;
  deps.metrics.fenced();
  deps.logger.warn(
    {
      topic: batch.topic,
      partition: batch.partition,
      batchFrom: String(firstOffset),
      dbNext: String(next),
    },
    "another merge worker applied this partition first; reading on from the database's position",
  );
  return { kind: "seek", offset: next };
}

/**
 * End-to-end lag, once per row slice of the batch, right after its transaction committed (rows
 * set aside in the quarantine are counted too: the batch is done with them).
 */
function observeLag(deps: BatchProcessorDeps, origin: string, rows: readonly RowsEnvelope[]): void {
  if (rows.length === 0) return;
  const now = deps.clock();
  for (const envelope of rows) {
    const seconds = (now - envelope.commitTime) / 1000;
    for (let i = 0; i < envelope.rows.length; i++) deps.metrics.observeEndToEndLag(origin, seconds);
  }
}

/** The envelope with its commit time no later than `now` (see receivedCommitTime). */
function boundCommitTime<E extends Envelope>(envelope: E, now: number): E {
  const commitTime = receivedCommitTime(envelope.commitTime, now);
  return commitTime === envelope.commitTime ? envelope : { ...envelope, commitTime };
}
