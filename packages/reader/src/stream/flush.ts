// The flush loop: waits for a non-empty window (linger, or earlier when the window is full),
// waits for room in the sink (backpressure), cuts the window, writes the rows kept as values
// (re-reading unchanged-TOAST columns still unknown), tracks the cut in the ledger and ships it.
//
//   parked ──filled──▶ waiting ──linger / wake──▶ ready? ──sink.ready()──▶ cutting ──▶ shipping (async) ──▶ parked
//   Parked while the window is empty, so an idle stream sets no timer at all (the linger is
//   counted from the first change, not polled).
//   cutting ──error (re-read failed)──▶ onError (the reader restarts from durable)
import type { Logger } from "@georep/observability";
import type { Ledger } from "../ledger.ts";
import type { CaptureBatch, CaptureSink, ShipRow } from "../sink.ts";
import type { Values } from "../postgres/values.ts";
import { rowWriter } from "../slice/slice-json.ts";
import type { Tuple } from "../postgres/tuple.ts";
import type { CoalescedRow, ValuesRow } from "./coalesce.ts";
import { lacksSliceColumn } from "../slice/slice.ts";
import type { FlushWindow } from "./window.ts";

export interface FlushDeps {
  readonly window: () => FlushWindow;
  readonly ledger: () => Ledger;
  readonly sink: CaptureSink;
  readonly logger: Logger;
  readonly lingerMs: number;
  /** The replica the streamed rows belong to (set by each prepare). */
  readonly replica: () => string;
  /** Re-reads the current own row of a tuple with unchanged-TOAST columns. */
  readonly reread: (row: ValuesRow, replica: string) => Promise<Tuple | undefined>;
  readonly onCut: () => void;
  /** Counts of a batch Kafka acknowledged (rows shipped, WAL changes folded into them). */
  readonly onShipped: (shipped: { readonly rows: number; readonly changesIn: number }) => void;
  readonly onError: (error: unknown) => void;
}

export interface FlushLoop {
  /** Something reached the window: the linger starts if the loop was parked. */
  filled(): void;
  /** Flush now instead of after the linger (the window is full). */
  wake(): void;
  /** True between a cut and its tracking in the ledger. */
  readonly busy: boolean;
  /** Flushes what is left and stops; resolves when the last cut is handed to the sink. */
  stop(): Promise<void>;
}

export function startFlushLoop(deps: FlushDeps): FlushLoop {
  const run = { stopping: false };
  let busy = false;
  let unpark: (() => void) | undefined;
  let wakeUp: (() => void) | undefined;
  // A wake() that came while parked: the window filled up before the loop resumed.
  let urgent = false;
  let timer: NodeJS.Timeout | undefined;
  const sleep = async (): Promise<void> => {
    // Checked and parked in one turn of the event loop: nothing can fill the window in between.
    if (deps.window().empty) await new Promise<void>((resolve) => (unpark = resolve));
    unpark = undefined;
    if (!run.stopping && !urgent)
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
        timer = setTimeout(resolve, deps.lingerMs);
      });
    wakeUp = undefined;
    urgent = false;
  };
  const complete = async (rows: CoalescedRow[], replica: string): Promise<ShipRow[]> => {
    const out: ShipRow[] = [];
    for (const row of rows) {
      if (row.kind === "written") {
        out.push(row);
        continue;
      }
      let values: Values = row.values;
      if (lacksSliceColumn(row.codec, values)) {
        const tuple = await deps.reread(row, replica);
        if (tuple === undefined) continue;
        values = row.codec.toValues(tuple);
      }
      out.push(rowWriter(row.codec)(values, row.rowKey));
    }
    return out;
  };
  const flushOnce = async (): Promise<void> => {
    await deps.sink.ready();
    const window = deps.window();
    if (window.empty) return;
    busy = true;
    try {
      // A wake() for rows in this cut must not skip the next cut's linger.
      urgent = false;
      const cut = window.cut();
      // The replica and ledger of the stream this cut came from, taken before any await: a
      // restart that starts a new incarnation meanwhile must not relabel these rows.
      const replica = deps.replica();
      const ledger = deps.ledger();
      deps.onCut();
      const rows = await complete(cut.rows, replica);
      const ticket = ledger.track(cut.upTo);
      if (rows.length === 0 && cut.heartbeat === undefined) {
        ledger.complete(ticket);
        return;
      }
      const batch: CaptureBatch = {
        rows,
        heartbeat: cut.heartbeat,
        replica,
        lsn: cut.lsn,
        commitTime: cut.commitTime,
        changesIn: cut.changesIn,
      };
      // Only the counts outlive the send: the rows are garbage once routed into envelopes.
      const shipped = { rows: rows.length, changesIn: cut.changesIn };
      deps.sink.ship(batch).then(
        () => {
          ledger.complete(ticket);
          deps.onShipped(shipped);
        },
        (error: unknown) => {
          deps.logger.debug(
            { err: error },
            "batch not shipped (sink closed); it will be re-read from the durable position",
          );
        },
      );
    } finally {
      busy = false;
    }
  };
  const done = (async () => {
    while (!run.stopping) {
      await sleep();
      try {
        await flushOnce();
      } catch (error) {
        deps.onError(error);
      }
    }
    try {
      await flushOnce();
    } catch (error) {
      deps.logger.warn(
        { err: error },
        "final flush failed; the slot restarts from the durable position",
      );
    }
  })();
  return {
    filled: () => unpark?.(),
    wake: () => {
      urgent = true;
      unpark?.();
      wakeUp?.();
    },
    get busy() {
      return busy;
    },
    async stop() {
      run.stopping = true;
      clearTimeout(timer);
      unpark?.();
      wakeUp?.();
      await done;
    },
  };
}
