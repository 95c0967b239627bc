// The region's reader.
//
//   idle ──start()──▶ preparing ──slot ok──▶ streaming
//   preparing ──slot missing──▶ create slot ──▶ emit own state (initial attach) ──▶ streaming
//   preparing ──slot lost (wal_status = lost)──▶ drop + create ──▶ emit own state (resync) ──▶ streaming
//   streaming ──error / disconnect / handler throw / re-read failure──▶ backoff ──▶ preparing
//   any ──stop()──▶ stopping (flush, wait for Kafka, ack durable) ──▶ stopped
import pg from "pg";
import { backoffDelay, settlesWithin } from "@georep/retry";
import { CANONICAL_TEXT_STARTUP_OPTIONS, pgConnection, stateLayout } from "@georep/schema";
import { isSlotInvalidated } from "./errors.ts";
import { startFlushLoop } from "./stream/flush.ts";
import { writeHeartbeat } from "./stream/heartbeat.ts";
import { createLedger } from "./ledger.ts";
import { formatLsn } from "./postgres/lsn.ts";
import { rereadOwnRow } from "./prepare/own-state.ts";
import { prepareSlot } from "./prepare/prepare.ts";
import { newerMark } from "./prepare/lost-history.ts";
import { readerMetrics } from "./reader-metrics.ts";
import type { Reader, ReaderOptions, ReaderStatus } from "./reader-types.ts";
import { startStreaming } from "./stream/stream.ts";
import type { Streaming } from "./stream/stream.ts";
import { relationPlanner, tableCodec } from "./postgres/tuple.ts";
import { createFlushWindow } from "./stream/window.ts";

export type { Reader, ReaderOptions, ReaderStatus } from "./reader-types.ts";

/** How long stop() waits for the last flush, then for Kafka's acknowledgements, by default. */
const STOP_DRAIN_MS = 15_000;

export function createReader(o: ReaderOptions): Reader {
  const log = o.logger.child({ component: "reader", slot: o.slotName });
  const codecs = o.tables.map((t) => tableCodec(stateLayout(t)));
  const planFor = relationPlanner(codecs);
  const m = readerMetrics(o.metrics);
  // Pinned text settings: own-state emits and re-reads turn keys to text in these sessions.
  const pool = new pg.Pool({
    ...pgConnection(o.pgUrl, o.pgPassword),
    max: 3,
    options: CANONICAL_TEXT_STARTUP_OPTIONS,
  });
  pool.on("error", (error) => {
    log.warn({ err: error }, "idle PostgreSQL connection failed");
  });
  let ledger = createLedger();
  // The stream only ever carries the current incarnation's rows (the publication's row filter).
  let replica = o.region;
  let window = createFlushWindow();
  let streaming: Streaming | undefined;
  let state: ReaderStatus["state"] = "idle";
  const life = { stopping: false };
  const isStopping = (): boolean => life.stopping;
  const s = {
    coalescedIn: 0,
    shippedRows: 0,
    restarts: 0,
    resyncs: 0,
    lastHeartbeatAt: undefined as number | undefined,
    lastError: undefined as string | undefined,
  };

  const flush = startFlushLoop({
    window: () => window,
    ledger: () => ledger,
    sink: o.sink,
    logger: log,
    lingerMs: o.lingerMs,
    replica: () => replica,
    reread: (row, of) => rereadOwnRow(pool, row.codec, of, row.codec.toTuple(row.values)),
    onCut: () => streaming?.resume(),
    onShipped: (shipped) => {
      s.coalescedIn += shipped.changesIn;
      s.shippedRows += shipped.rows;
      m.changes.inc(shipped.changesIn);
      m.rows.inc(shipped.rows);
      m.durable.set(Number(ledger.durable));
    },
    onError: (error) => streaming?.end(error),
  });

  const stream = async (): Promise<unknown> => {
    const current = startStreaming({
      pgUrl: o.pgUrl,
      pgPassword: o.pgPassword,
      slotName: o.slotName,
      region: o.region,
      statusIntervalMs: o.statusIntervalMs,
      maxBatchRows: o.maxBatchRows,
      planFor,
      ledger,
      flush,
      setWindow: (w) => (window = w),
      onReceived: () => {
        m.received.set(Number(ledger.received));
        m.durable.set(Number(ledger.durable));
      },
      ...(o.beforeConfirm === undefined ? {} : { beforeConfirm: o.beforeConfirm }),
    });
    streaming = current;
    state = "streaming";
    // A stop() that came while this session was being set up found nothing to end: end it here.
    if (isStopping()) current.end(new Error("stopping"));
    const error = await current.ended;
    if (streaming === current) streaming = undefined;
    return error;
  };

  const run = async (): Promise<void> => {
    let attempt = 0;
    let invalidated = false;
    while (!life.stopping) {
      state = "preparing";
      try {
        const prepared = await prepareSlot({
          pool,
          slot: o.slotName,
          region: o.region,
          codecs,
          sink: o.sink,
          clock: o.clock,
          batchRows: o.resyncBatchRows,
          ledger,
          log,
          invalidated,
          reported: o.reported,
          reportedWaitMs: o.reportedWaitMs ?? Infinity,
          onReportedWait: (waiting) => {
            waitingForReported = waiting;
            m.waitingForReported.set(waiting ? 1 : 0);
          },
          stopping: isStopping,
          // What Kafka acknowledged from this process counts too: a database restored under a
          // running replicator (same identity, slot kept) ends its WAL before it.
          shipped: newerMark(
            o.shipped?.(),
            ledger.durable > 0n ? { replica, lsn: ledger.durable } : undefined,
          ),
        });
        invalidated = false;
        ledger = prepared.ledger;
        replica = prepared.replica;
        if (prepared.resynced) {
          s.resyncs += 1;
          m.resyncs.inc();
        }
        if (isStopping()) break;
        log.info({ durable: formatLsn(ledger.durable), attempt }, "streaming");
        const started = Date.now();
        const error = await stream();
        if (isStopping()) break;
        if (Date.now() - started > 10_000) attempt = 0;
        throw error;
      } catch (error) {
        if (isStopping()) break;
        s.restarts += 1;
        invalidated = isSlotInvalidated(error);
        s.lastError = error instanceof Error ? error.message : String(error);
        m.restarts.inc();
        const delay = backoffDelay(o.backoff, attempt);
        attempt += 1;
        log.warn(
          { err: error, delayMs: delay, durable: formatLsn(ledger.durable), invalidated },
          "replication stopped; restarting from the durable position",
        );
        state = "backoff";
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };

  const beat = async (): Promise<void> => {
    try {
      walWritten = await writeHeartbeat(pool, o.region);
      s.lastHeartbeatAt = o.clock();
    } catch (error) {
      log.warn({ err: error }, "heartbeat write failed; retrying at the next interval");
    }
  };
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let walWritten = 0n;
  let waitingForReported = false;
  let running: Promise<void> | undefined;

  return {
    start() {
      running ??= run();
      heartbeatTimer ??= setInterval(() => void beat(), o.heartbeatIntervalMs);
      void beat();
      return Promise.resolve();
    },
    async stop() {
      if (state === "stopped") return;
      life.stopping = true;
      clearInterval(heartbeatTimer);
      // The last flush waits for room in the sink, which a Kafka that accepts nothing never
      // gives; then wait (bounded) for Kafka to confirm what was shipped. What is unconfirmed
      // at the deadline is streamed again from the durable position by the next start.
      const drainMs = o.stopDrainMs ?? STOP_DRAIN_MS;
      if (!(await settlesWithin(flush.stop(), drainMs)))
        log.warn("the last flush did not reach the sink in time; stopping without it");
      if (!(await settlesWithin(ledger.drained(), drainMs)))
        log.warn(
          { durable: formatLsn(ledger.durable) },
          "Kafka did not confirm every batch in time",
        );
      const current = streaming;
      current?.end(new Error("stopping"));
      await current?.stop();
      await running;
      await pool.end().catch(() => undefined);
      state = "stopped";
    },
    status: () => ({
      state,
      receivedLsn: formatLsn(ledger.received),
      durableLsn: formatLsn(ledger.durable),
      replica,
      walPending: !waitingForReported && ledger.durable < walWritten,
      waitingForReported,
      ...s,
    }),
  };
}
