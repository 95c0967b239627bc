// Feeds decoded pgoutput messages into the flush window, in stream order (synchronously, so that
// a keepalive is only ever judged after every change sent before it).
//
//   between ──Begin──▶ in-transaction ──Insert/Update of own state──▶ window.put (written
//                                       as JSON) or window.add (values: unchanged TOAST)
//   in-transaction ──Commit──▶ between (window.commit(end LSN))
//   Delete/Truncate of state tables, other relations, Type/Origin/Message ──▶ ignored
import type { Ledger } from "../ledger.ts";
import type { Lsn } from "../postgres/lsn.ts";
import type { PgoutputMessage } from "../postgres/pgoutput.ts";
import { frameRowWriter } from "../slice/slice-json.ts";
import type { RelationPlan } from "../postgres/tuple.ts";
import type { FlushWindow } from "./window.ts";
import { heartbeatProgress } from "./heartbeat-progress.ts";

export type StreamMessage = PgoutputMessage<RelationPlan>;

export interface WindowFeeder {
  onMessage(message: StreamMessage): void;
  /** Advances durable to an idle keepalive's walEnd when nothing is open, buffered or in flight. */
  onKeepalive(walEnd: Lsn, busy: boolean): void;
  readonly inTransaction: boolean;
}

export function createWindowFeeder(
  window: FlushWindow,
  ledger: Ledger,
  region: string,
): WindowFeeder {
  let open = false;
  let commitLsn = 0n as Lsn;
  let commitTime = 0;
  return {
    get inTransaction() {
      return open;
    },
    onMessage(message) {
      switch (message.tag) {
        case "begin":
          open = true;
          commitLsn = message.finalLsn;
          commitTime = message.commitTime;
          return;
        case "insert":
        case "update": {
          const { plan, tuple, old } = message;
          if (plan === undefined || tuple === undefined) return;
          if (plan.kind === "state") {
            // A complete tuple is written as JSON now, straight from the frame: the window then
            // holds bytes, not strings. One with unchanged TOAST (or a problem the values path
            // reports at the cut) is kept as values.
            const row = tuple.complete ? frameRowWriter(plan.codec)(tuple) : undefined;
            if (row !== undefined) window.put(row, commitLsn, commitTime);
            else window.add(plan.codec, tuple.values(old), commitLsn, commitTime);
          } else {
            const origin = tuple.text(0);
            const stamp = tuple.text(1);
            if (origin === region && typeof stamp === "string")
              window.heartbeat(
                { stamp, progress: heartbeatProgress(tuple.text(2), tuple.text(3)) },
                commitLsn,
                commitTime,
              );
          }
          return;
        }
        case "commit":
          open = false;
          ledger.noteReceived(message.endLsn);
          window.commit(message.endLsn);
          return;
        case "relation":
        case "delete":
        case "truncate":
        case "type":
        case "origin":
        case "message":
          return;
      }
    },
    onKeepalive(walEnd, busy) {
      ledger.noteReceived(walEnd);
      if (!open && !busy && window.empty) ledger.advanceIdle(walEnd);
    },
  };
}
