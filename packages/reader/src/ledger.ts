// Positions of the reader, tracked apart (as Debezium keeps lsn and lsn_proc):
//
//   received ── the newest WAL position seen on the stream (data or keepalive)
//   durable  ── every change up to here is acknowledged by Kafka; the only position ever
//               acknowledged to PostgreSQL and the restart point after any failure
//
//   track(upTo) ──▶ pending ──complete()──▶ done ── (all earlier done) ──▶ durable = upTo
//   no ticket pending ──▶ drained() waiters resume
import type { Lsn } from "./postgres/lsn.ts";
import { ZERO_LSN, maxLsn } from "./postgres/lsn.ts";

export interface Ticket {
  readonly upTo: Lsn;
  done: boolean;
}

export interface Ledger {
  readonly received: Lsn;
  readonly durable: Lsn;
  /** Batches shipped but not yet durable. */
  readonly pending: number;
  noteReceived(lsn: Lsn): void;
  /** Registers a batch covering every change up to `upTo`; completes in any order. */
  track(upTo: Lsn): Ticket;
  /** Marks a batch durable; durable advances over the completed prefix. */
  complete(ticket: Ticket): void;
  /** Resolves once no batch is pending (at once when none is): everything shipped is durable. */
  drained(): Promise<void>;
  /**
   * Nothing received is still in flight: the position can move to `lsn` (a keepalive's walEnd
   * or a fresh slot's start) without shipping anything. No-op while batches are pending.
   */
  advanceIdle(lsn: Lsn): boolean;
  /** A position PostgreSQL already confirmed (the slot's confirmed_flush_lsn): never lowers. */
  raise(lsn: Lsn): void;
}

export function createLedger(start: Lsn = ZERO_LSN): Ledger {
  let received = start;
  let durable = start;
  const queue: Ticket[] = [];
  let waiters: Array<() => void> = [];
  return {
    get received() {
      return received;
    },
    get durable() {
      return durable;
    },
    get pending() {
      return queue.length;
    },
    noteReceived(lsn) {
      received = maxLsn(received, lsn);
    },
    track(upTo) {
      const ticket: Ticket = { upTo, done: false };
      queue.push(ticket);
      return ticket;
    },
    complete(ticket) {
      ticket.done = true;
      while (queue.length > 0 && queue[0]?.done === true) {
        const head = queue.shift();
        if (head !== undefined) durable = maxLsn(durable, head.upTo);
      }
      if (queue.length === 0 && waiters.length > 0) {
        const woken = waiters;
        waiters = [];
        for (const wake of woken) wake();
      }
    },
    drained() {
      if (queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    advanceIdle(lsn) {
      if (queue.length > 0) return false;
      durable = maxLsn(durable, lsn);
      received = maxLsn(received, lsn);
      return true;
    },
    raise(lsn) {
      durable = maxLsn(durable, lsn);
      received = maxLsn(received, lsn);
    },
  };
}
