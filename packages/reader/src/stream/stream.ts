// One streaming session of the reader: decoder ──▶ window feeder ──▶ flush window, with the
// replication socket paused while the window holds 4 × maxBatchRows distinct rows (the sink is
// full) and resumed at the next cut. Resolves with the reason the session ended.
import { CANONICAL_TEXT_STARTUP_OPTIONS, pgConnection } from "@georep/schema";
import { createWindowFeeder } from "./window-feeder.ts";
import type { FlushLoop } from "./flush.ts";
import type { Ledger } from "../ledger.ts";
import { PgoutputDecoder } from "../postgres/pgoutput.ts";
import type { Relation } from "../postgres/pgoutput.ts";
import type { Session } from "../postgres/session.ts";
import { startSession } from "../postgres/session.ts";
import type { RelationPlan } from "../postgres/tuple.ts";
import type { FlushWindow } from "./window.ts";
import { createFlushWindow } from "./window.ts";

export interface StreamDeps {
  readonly pgUrl: string;
  readonly pgPassword?: string | undefined;
  readonly slotName: string;
  readonly region: string;
  readonly statusIntervalMs: number;
  readonly maxBatchRows: number;
  readonly planFor: (relation: Relation) => RelationPlan | undefined;
  readonly ledger: Ledger;
  readonly flush: FlushLoop;
  /** The new window, installed before the first message (the flush loop cuts from it). */
  readonly setWindow: (window: FlushWindow) => void;
  readonly onReceived: () => void;
  /** Gate for every slot confirmation (see Session). */
  readonly beforeConfirm?: () => Promise<void>;
}

export interface Streaming {
  /** Resolves with the error (or end) that finished the session. */
  readonly ended: Promise<unknown>;
  /** Ends the session (the reader restarts from durable unless it is stopping). */
  end(error: unknown): void;
  /** Resumes a paused socket (called at every cut). */
  resume(): void;
  /** Sends one last status update and closes the connection. */
  stop(): Promise<void>;
}

export function startStreaming(d: StreamDeps): Streaming {
  const { ledger, flush } = d;
  const window = createFlushWindow(ledger.durable);
  d.setWindow(window);
  const feeder = createWindowFeeder(window, ledger, d.region);
  const decoder = new PgoutputDecoder(d.planFor);
  let paused = false;
  let finished = false;
  let resolveEnded: (error: unknown) => void = () => undefined;
  const ended = new Promise<unknown>((resolve) => (resolveEnded = resolve));
  const session: Session = startSession(
    // The walsender writes every value pgoutput sends as text in these settings.
    { ...pgConnection(d.pgUrl, d.pgPassword), options: CANONICAL_TEXT_STARTUP_OPTIONS },
    d.slotName,
    ledger.durable,
    d.statusIntervalMs,
    (frame, offset) => decoder.decode(frame, offset),
    {
      onMessage: (message) => {
        feeder.onMessage(message);
        flush.filled();
        const rows = window.rows;
        if (rows >= d.maxBatchRows) flush.wake();
        if (rows >= d.maxBatchRows * 4 && !paused) {
          paused = true;
          session.pause();
        }
      },
      onKeepalive: (walEnd) => {
        feeder.onKeepalive(walEnd, flush.busy || ledger.pending > 0);
        d.onReceived();
      },
      ackPosition: () => ledger.durable,
      ...(d.beforeConfirm === undefined ? {} : { beforeConfirm: d.beforeConfirm }),
      onEnd: (error) => {
        end(error);
      },
    },
  );
  const end = (error: unknown): void => {
    if (finished) return;
    finished = true;
    paused = false;
    void session.stop();
    resolveEnded(error);
  };
  return {
    ended,
    end,
    resume() {
      if (!paused) return;
      paused = false;
      session.resume();
    },
    stop: () => session.stop(),
  };
}
