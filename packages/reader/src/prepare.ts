import type { Logger, WallClock } from "@georep/observability";
import type { Ledger } from "./ledger.ts";
import { createLedger } from "./ledger.ts";
import type { Lsn } from "./lsn.ts";
import { formatLsn } from "./lsn.ts";
import { readOwnState } from "./own-state.ts";
import type { Queryable } from "./queryable.ts";
import type { CaptureSink } from "./sink.ts";
import { createSlot, dropSlot, inspectSlot } from "./slot.ts";
import { clearResync, markResync, resyncPending } from "./resync-marker.ts";
import { ReaderError } from "./errors.ts";
import type { TableCodec } from "./tuple.ts";
import { rowWriter } from "./slice-json.ts";

export interface PrepareDeps {
  readonly pool: Queryable;
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
}

/**
 * Makes the slot usable and returns the ledger to stream with. A missing slot is created and
 * a lost one (wal_status = 'lost') dropped and recreated; either way the region's whole own
 * state is emitted once, tracked at the new slot's consistent point, before streaming from it.
 * Creating the slot first and reading after is what makes the copy complete: everything
 * committed before the consistent point is in the read, everything after is on the slot
 * (overlap is shipped twice, which idempotent merges absorb). A resync marker, written before
 * the slot and cleared once Kafka acknowledged the whole emit, makes a crash in between emit
 * again on the next start: the surviving slot alone would stream on without that state.
 * @throws ReaderError or a pg error; the caller backs off and retries.
 */
export async function prepareSlot(d: PrepareDeps): Promise<{ ledger: Ledger; resynced: boolean }> {
  const inspected = await inspectSlot(d.pool, d.slot);
  const state = inspected.kind === "ok" && d.invalidated ? ({ kind: "lost" } as const) : inspected;
  if (state.kind === "ok") {
    d.ledger.raise(state.confirmedFlush);
    const pending = await resyncPending(d.pool, d.slot);
    if (pending === undefined) return { ledger: d.ledger, resynced: false };
    d.log.warn(
      { slot: d.slot, reason: pending },
      "an earlier own-state emit was interrupted before Kafka acknowledged it; emitting again",
    );
    const rows = await emitOwnState(d, d.ledger, d.ledger.durable);
    await clearResync(d.pool, d.slot);
    d.log.info({ rows }, "own state emitted");
    return { ledger: d.ledger, resynced: true };
  }
  await markResync(d.pool, d.slot, state.kind === "lost" ? "invalidated" : "initial");
  if (state.kind === "lost") {
    d.log.error(
      { slot: d.slot },
      "replication slot was invalidated (wal_status = lost); recreating it and re-emitting this region's own state",
    );
    await dropSlot(d.pool, d.slot);
  }
  const start = await createSlot(d.pool, d.slot);
  d.log.info(
    { start: formatLsn(start), reason: state.kind === "lost" ? "invalidated" : "initial" },
    "replication slot created; emitting own state",
  );
  const ledger = createLedger(start);
  const rows = await emitOwnState(d, ledger, start);
  await clearResync(d.pool, d.slot);
  d.log.info({ rows }, "own state emitted");
  return { ledger, resynced: true };
}

/** Ships every own-state row, tracked at `at`; resolves once Kafka acknowledged all of them. */
async function emitOwnState(d: PrepareDeps, ledger: Ledger, at: Lsn): Promise<number> {
  let total = 0;
  const shipped: Array<Promise<void>> = [];
  let failure: unknown;
  for (const codec of d.codecs) {
    for await (const tuples of readOwnState(d.pool, codec, d.region, d.batchRows)) {
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
  await Promise.all(shipped);
  if (failure !== undefined)
    throw new ReaderError(
      "own-state emit not acknowledged by Kafka",
      { slot: d.slot, lsn: at },
      { cause: failure },
    );
  return total;
}
