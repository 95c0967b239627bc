// The flush window between two cuts:
//
//   empty ──put()/add()/heartbeat()/commit()──▶ filling ──cut()──▶ empty
//
// Rows of a transaction whose Commit has not arrived yet may be cut: pgoutput (protocol v1)
// sends a transaction only after it committed, so its rows are safe to ship early. The window's
// position `upTo` is the end of the last Commit seen, so durable never passes an open transaction.
import type { WrittenRow } from "../slice/slice-json.ts";
import type { CoalescedRow } from "./coalesce.ts";
import { createCoalescer } from "./coalesce.ts";
import type { Lsn } from "../postgres/lsn.ts";
import { ZERO_LSN, maxLsn } from "../postgres/lsn.ts";
import type { Values } from "../postgres/values.ts";
import type { TableCodec } from "../postgres/tuple.ts";
import type { Heartbeat } from "../sink.ts";

export interface WindowCut {
  readonly rows: CoalescedRow[];
  readonly heartbeat: Heartbeat | undefined;
  /** Every change up to here is in this cut or an earlier one. */
  readonly upTo: Lsn;
  /** Newest source commit LSN folded in (the envelope's lsn). */
  readonly lsn: Lsn;
  readonly commitTime: number;
  readonly changesIn: number;
}

export interface FlushWindow {
  /** A complete tuple, written as JSON already. */
  put(row: WrittenRow, commitLsn: Lsn, commitTime: number): void;
  /** Takes ownership of `values`. */
  add(codec: TableCodec, values: Values, commitLsn: Lsn, commitTime: number): void;
  heartbeat(beat: Heartbeat, commitLsn: Lsn, commitTime: number): void;
  commit(endLsn: Lsn): void;
  readonly rows: number;
  /** True when a cut would carry nothing new (no rows, no heartbeat, no new position). */
  readonly empty: boolean;
  cut(): WindowCut;
  /** Drops everything (restart from durable re-receives it). */
  reset(position: Lsn): void;
}

export function createFlushWindow(start: Lsn = ZERO_LSN): FlushWindow {
  let coalescer = createCoalescer();
  let heartbeat: Heartbeat | undefined;
  let upTo = start;
  let cutAt = start;
  let lsn = ZERO_LSN;
  let commitTime = 0;
  const note = (commitLsn: Lsn, time: number): void => {
    lsn = maxLsn(lsn, commitLsn);
    if (time > commitTime) commitTime = time;
  };
  return {
    put(row, commitLsn, time) {
      coalescer.put(row);
      note(commitLsn, time);
    },
    add(codec, values, commitLsn, time) {
      coalescer.add(codec, values);
      note(commitLsn, time);
    },
    heartbeat(beat, commitLsn, time) {
      heartbeat = beat;
      note(commitLsn, time);
    },
    commit(endLsn) {
      upTo = maxLsn(upTo, endLsn);
    },
    get rows() {
      return coalescer.size;
    },
    get empty() {
      return coalescer.size === 0 && heartbeat === undefined && upTo === cutAt;
    },
    cut() {
      const changesIn = coalescer.changesIn;
      const out: WindowCut = {
        rows: coalescer.drain(),
        heartbeat,
        upTo,
        lsn: maxLsn(lsn, upTo),
        commitTime,
        changesIn,
      };
      heartbeat = undefined;
      cutAt = upTo;
      return out;
    },
    reset(position) {
      coalescer = createCoalescer();
      heartbeat = undefined;
      upTo = position;
      cutAt = position;
    },
  };
}
