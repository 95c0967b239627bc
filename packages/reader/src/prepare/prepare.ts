import type pg from "pg";
import { incarnationOfReplica } from "@georep/crdt";
import type { Logger, WallClock } from "@georep/observability";
import {
  currentIncarnation,
  listIncarnations,
  markAttached,
  readIdentity,
  startIncarnation,
  waitForApplied,
} from "@georep/schema";
import type { Incarnation } from "@georep/schema";
import type { Ledger } from "../ledger.ts";
import { createLedger } from "../ledger.ts";
import type { Lsn } from "../postgres/lsn.ts";
import { formatLsn, parseLsn } from "../postgres/lsn.ts";
import { lostHistory } from "./lost-history.ts";
import type { ShippedMark } from "./lost-history.ts";
import { readOwnState } from "./own-state.ts";
import type { CaptureSink } from "../sink.ts";
import { createSlot, dropSlot, inspectSlot } from "../postgres/slot.ts";
import type { SlotState } from "../postgres/slot.ts";
import { clearResync, markResync, resyncPending } from "./resync-marker.ts";
import { ReaderError } from "../errors.ts";
import type { TableCodec } from "../postgres/tuple.ts";
import { rowWriter } from "../slice/slice-json.ts";

export interface PrepareDeps {
  readonly pool: pg.Pool;
  readonly slot: string;
  readonly region: string;
  readonly codecs: readonly TableCodec[];
  readonly sink: CaptureSink;
  readonly clock: WallClock;
  readonly batchRows: number;
  readonly ledger: Ledger;
  readonly log: Logger;
  /** The last session failed with "can no longer get changes from replication slot". */
  readonly invalidated: boolean;
  /** What this region's topic says it shipped last (undefined: nothing, or not read). */
  readonly shipped: ShippedMark | undefined;
  /** What this region last reported as applied (ReaderOptions.reported); absent: no wait. */
  readonly reported?: (() => Promise<ReadonlyMap<string, bigint> | "none">) | undefined;
  /** How long that wait lasts at most; past it the incarnation starts anyway (an error logged). */
  readonly reportedWaitMs: number;
  readonly onReportedWait: (waiting: boolean) => void;
  readonly stopping: () => boolean;
}

/** How often a new incarnation's wait for the reported progress looks again, and logs. */
const REPORTED_POLL_MS = 1_000;
const REPORTED_LOG_MS = 15_000;

export interface Prepared {
  readonly ledger: Ledger;
  readonly resynced: boolean;
  /** The replica this region's local writes are recorded under from now on. */
  readonly replica: string;
}

/**
 * Makes the slot usable and returns the ledger to stream with, and the replica to ship as.
 *
 * - The database may have lost history its incarnation already shipped (lostHistory: its
 *   identity changed, an attached slot is missing or lost, or the region's topic holds more than
 *   the database does): a new incarnation starts (fresh replica id, triggers and publication
 *   recompiled) before a new slot is created. A database that went back first applies what its
 *   region last reported, when `reported` is given (coverReported).
 * - A missing slot is created and a lost one dropped and recreated; either way every state row
 *   of this region's replicas (the current one and earlier ones) is emitted once, tracked at the
 *   new slot's consistent point, before streaming from it. Creating the slot first and reading
 *   after makes the copy complete; overlap is shipped twice, which idempotent merges absorb.
 * - A resync marker, written first and cleared once Kafka acknowledged the whole emit, makes a
 *   crash in between emit again on the next start.
 * @throws ReaderError or a pg error; the caller backs off and retries.
 */
export async function prepareSlot(d: PrepareDeps): Promise<Prepared> {
  const current = await currentIncarnation(d.pool);
  if (current === undefined)
    throw new ReaderError(
      "no incarnation is recorded in this database: install georep's schema first (georep schema apply)",
      { slot: d.slot },
    );
  const identity = await readIdentity(d.pool);
  const inspected = await inspectSlot(d.pool, d.slot);
  const state: SlotState = inspected.kind === "ok" && d.invalidated ? { kind: "lost" } : inspected;
  const pending = await resyncPending(d.pool, d.slot);
  const wal = await d.pool.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
  const lost = lostHistory({
    current,
    identity,
    slot: state,
    walLsn: parseLsn(wal.rows[0]?.lsn ?? "0/0"),
    shipped: d.shipped,
    resyncPending: pending !== undefined,
  });
  const reason = lost?.reason;
  if (reason === undefined && state.kind === "ok") {
    d.ledger.raise(state.confirmedFlush);
    if (pending !== undefined) {
      d.log.warn(
        { slot: d.slot, reason: pending },
        "an earlier own-state emit was interrupted before Kafka acknowledged it; emitting again",
      );
      await emitAndClear(d, d.ledger, d.ledger.durable);
    }
    await markAttached(d.pool, current.replica);
    return { ledger: d.ledger, resynced: pending !== undefined, replica: current.replica };
  }
  if (lost?.wentBack === true) await coverReported(d, lost.reason);
  await markResync(d.pool, d.slot, reason ?? (state.kind === "lost" ? "invalidated" : "initial"));
  if (state.kind !== "missing") {
    if (state.kind === "lost")
      d.log.error(
        { slot: d.slot },
        "replication slot was invalidated (wal_status = lost); recreating it and re-emitting this region's own state",
      );
    await dropSlot(d.pool, d.slot);
  }
  const incarnation =
    reason === undefined
      ? current
      : await newIncarnation(d, reason, incarnationOfReplica(d.shipped?.replica ?? "") ?? 0);
  const start = await createSlot(d.pool, d.slot);
  d.log.info(
    { start: formatLsn(start), replica: incarnation.replica, reason: reason ?? state.kind },
    "replication slot created; emitting own state",
  );
  const ledger = createLedger(start);
  await emitAndClear(d, ledger, start);
  await markAttached(d.pool, incarnation.replica);
  return { ledger, resynced: true, replica: incarnation.replica };
}

/**
 * Before a database that went back in time writes again (a new incarnation; the trigger refuses
 * local writes until then) or ships its old shares again, it applies what its region last
 * reported: peers may have collected deletes on the strength of those reports, and a share
 * written or shipped without such a delete would bring the key back where it was collected.
 * @throws ReaderError when stopped meanwhile.
 */
async function coverReported(d: PrepareDeps, reason: string): Promise<void> {
  if (d.reported === undefined) return;
  const floor = await d.reported().catch((error: unknown) => {
    d.log.error(
      { err: error, reason },
      "could not read what this region last reported from its topic: starting the new incarnation without waiting for it",
    );
    return "none" as const;
  });
  if (floor === "none") {
    d.log.warn(
      { reason },
      "no heartbeat with progress in this region's topic tail: nothing to wait for before the new incarnation",
    );
    return;
  }
  const started = d.clock();
  const late = (): boolean => d.clock() - started > d.reportedWaitMs;
  let loggedAt = -Infinity;
  let short: readonly string[] = [];
  d.onReportedWait(true);
  try {
    const outcome = await waitForApplied(d.pool, floor, {
      self: d.region,
      pollMs: REPORTED_POLL_MS,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      stopped: () => d.stopping() || late(),
      onShort: (origins) => {
        short = origins;
        if (d.clock() - loggedAt < REPORTED_LOG_MS) return;
        loggedAt = d.clock();
        d.log.warn(
          { reason, origins },
          "this database went back in time: its new incarnation waits until it has applied what this region last reported of these origins (peers may have collected deletes on it)",
        );
      },
    });
    if (outcome === "covered") {
      d.log.info({ reason }, "this database has applied what this region last reported");
      return;
    }
    if (d.stopping())
      throw new ReaderError("stopped while waiting for the reported progress", { slot: d.slot });
    // Bounded: a region must come back within its RTO even when an origin cannot be read (its
    // cluster down, a Kafka gap only repair closes, which runs once capture streams).
    d.log.error(
      { reason, origins: short, waitedMs: d.clock() - started },
      'starting the new incarnation without having applied what this region last reported of these origins: a key that peers collected meanwhile may come back here (docs/data-model.md, "A region that loses history")',
    );
  } finally {
    d.onReportedWait(false);
  }
}

async function newIncarnation(
  d: PrepareDeps,
  reason: string,
  knownElsewhere: number,
): Promise<Incarnation> {
  const client = await d.pool.connect();
  try {
    return await startIncarnation(
      client,
      { region: d.region, tables: d.codecs.map((c) => c.layout.spec) },
      reason,
      d.clock(),
      d.log,
      knownElsewhere,
    );
  } finally {
    client.release();
  }
}

async function emitAndClear(d: PrepareDeps, ledger: Ledger, at: Lsn): Promise<void> {
  const replicas = (await listIncarnations(d.pool)).map((i) => i.replica);
  const rows = await emitOwnState(d, replicas, ledger, at);
  await clearResync(d.pool, d.slot);
  d.log.info({ rows, replicas }, "own state emitted");
}

/**
 * Ships every state row of this region's replicas, each batch under its replica, tracked at
 * `at`; resolves once Kafka acknowledged all of them.
 */
async function emitOwnState(
  d: PrepareDeps,
  replicas: readonly string[],
  ledger: Ledger,
  at: Lsn,
): Promise<number> {
  let total = 0;
  const shipped: Array<Promise<void>> = [];
  let failure: unknown;
  for (const replica of replicas) {
    for (const codec of d.codecs) {
      for await (const tuples of readOwnState(d.pool, codec, replica, d.batchRows)) {
        await d.sink.ready();
        const write = rowWriter(codec);
        const rows = tuples.map((t) => {
          const values = codec.toValues(t);
          return write(values, codec.keyOf(values));
        });
        const ticket = ledger.track(at);
        total += rows.length;
        const ship = d.sink.ship({
          rows,
          heartbeat: undefined,
          replica,
          lsn: at,
          commitTime: d.clock(),
          changesIn: rows.length,
        });
        // Every outcome is handled at once (no unhandled rejection while later batches are
        // read); a failure is raised after the loop.
        shipped.push(
          ship.then(
            () => {
              ledger.complete(ticket);
            },
            (error: unknown) => {
              failure ??= error;
            },
          ),
        );
      }
    }
  }
  await Promise.all(shipped);
  if (failure !== undefined)
    throw new ReaderError(
      "own-state emit not acknowledged by Kafka",
      { slot: d.slot, lsn: at },
      { cause: failure },
    );
  return total;
}
