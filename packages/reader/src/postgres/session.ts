// One replication connection. A session is never reused: pg-logical-replication re-subscribing
// on the same service resumes after the last *received* LSN and would skip unacknowledged data.
//
//   connecting ──replicationStart──▶ streaming ──error / stream end / handler throw──▶ ended
//   any ──stop()──▶ ended (onEnd is not called for a requested stop)
//
// pg-logical-replication keeps the connection, START_REPLICATION and our status updates
// (acknowledge(), which adds 1 to what it is given: see ack). The CopyData frames themselves are
// ours: its per-frame handler (LSN strings, its pgoutput parser, an EventEmitter2 emit) cost more
// than our decoding, so it is swapped for ours when the stream starts (see RawPlugin).
import type { Client, ClientConfig } from "pg";
import { LogicalReplicationService, PgoutputPlugin } from "pg-logical-replication";
import { settlesWithin } from "@georep/retry";
import { PUBLICATION } from "@georep/schema";
import type { Lsn } from "./lsn.ts";
import { ZERO_LSN, formatLsn, lsnFromBigInt } from "./lsn.ts";
import { PgoutputDecodeError } from "./pgoutput-cursor.ts";

export interface SessionHandlers<M> {
  /** Called synchronously, in stream order. A throw ends the session (restart from durable). */
  onMessage(message: M): void;
  onKeepalive(walEnd: Lsn, shouldRespond: boolean): void;
  /** The position to report in status updates: the durable LSN (or an idle keepalive's). */
  ackPosition(): Lsn;
  onEnd(error: unknown): void;
  /** Resolves when the slot may be confirmed; a rejection ends the session unconfirmed. */
  beforeConfirm?: () => Promise<void>;
}

export interface Session {
  ack(): Promise<void>;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

interface CopyDataConnection {
  listeners(event: "copyData"): ((message: { chunk: Buffer }) => void)[];
  removeListener(event: "copyData", listener: (message: { chunk: Buffer }) => void): unknown;
  on(event: "copyData", listener: (message: { chunk: Buffer }) => void): unknown;
}

/**
 * pg-logical-replication 2.5.0 (pinned) adds its copyData listener right before calling the
 * plugin's start(); this plugin replaces that one listener (pg's own stays) with ours.
 */
class RawPlugin extends PgoutputPlugin {
  constructor(private readonly onCopyData: (chunk: Buffer) => void) {
    super({ protoVersion: 1, publicationNames: [PUBLICATION] });
  }
  override start(client: Client, slotName: string, lastLsn: string): Promise<unknown> {
    const connection = (client as unknown as { connection: CopyDataConnection }).connection;
    const theirs = connection.listeners("copyData").at(-1);
    if (theirs === undefined)
      return Promise.reject(
        new Error("pg-logical-replication registered no copyData listener (unsupported version)"),
      );
    connection.removeListener("copyData", theirs);
    connection.on("copyData", ({ chunk }) => {
      this.onCopyData(chunk);
    });
    return super.start(client, slotName, lastLsn);
  }
}

interface Pausable {
  _connection?: {
    stream?: { pause?: () => void; resume?: () => void; destroy?: () => void };
  } | null;
}

/** How long stop() waits for the library's orderly close before it closes the socket itself. */
const STOP_CLOSE_MS = 5_000;

/** XLogData ('w'): header of 1 + 8 (walStart) + 8 (walEnd) + 8 (send time) bytes, then the pgoutput message. */
const XLOG_HEADER = 25;

export function startSession<M>(
  config: ClientConfig,
  slot: string,
  start: Lsn,
  statusIntervalMs: number,
  decode: (frame: Buffer, offset: number) => M,
  handlers: SessionHandlers<M>,
): Session {
  const service = new LogicalReplicationService(config, {
    acknowledge: { auto: false, timeoutSeconds: 0 },
  });
  let ended = false;
  // Every status update goes through here (our timer, keepalive replies, stop()). The library's
  // acknowledge(lsn) reports lsn + 1 as written/flushed/applied, and PostgreSQL makes that the
  // slot's confirmed_flush_lsn: one byte past durable, a restart would skip the commit record
  // that starts exactly at durable (the next commit, often). So it gets durable - 1. Durable 0
  // (nothing confirmed, never the case once a slot exists) sends nothing: it would report 0/1.
  // A deposed active (a standby took over while it was paused) must not move the slot: with a
  // gate, the confirmation is sent only once the gate saw this process still in charge, and a
  // refusal ends the session instead.
  const ack = async (): Promise<void> => {
    if (ended) return;
    const durable = handlers.ackPosition();
    if (durable === ZERO_LSN) return;
    if (handlers.beforeConfirm !== undefined) {
      try {
        await handlers.beforeConfirm();
      } catch (error) {
        end(error);
        return;
      }
    }
    await service.acknowledge(formatLsn(lsnFromBigInt(durable - 1n))).catch(() => undefined);
  };
  const timer = setInterval(() => void ack(), statusIntervalMs);
  const end = (error: unknown): void => {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    void service.destroy().catch(() => undefined);
    handlers.onEnd(error);
  };
  // Runs inside the socket handler: nothing may escape (a throw would crash the process).
  const onCopyData = (chunk: Buffer): void => {
    if (ended) return;
    try {
      const kind = chunk.length > 0 ? chunk.readUInt8(0) : -1;
      if (kind === 0x77 /* w */) {
        if (chunk.length < XLOG_HEADER)
          throw new PgoutputDecodeError(`XLogData frame of ${chunk.length} bytes`);
        handlers.onMessage(decode(chunk, XLOG_HEADER));
      } else if (kind === 0x6b /* k */) {
        if (chunk.length < 18)
          throw new PgoutputDecodeError(`keepalive frame of ${chunk.length} bytes`);
        const shouldRespond = chunk.readUInt8(17) !== 0;
        handlers.onKeepalive(chunk.readBigUInt64BE(1) as Lsn, shouldRespond);
        if (shouldRespond) void ack();
      } else {
        throw new PgoutputDecodeError(`unknown replication frame 0x${kind.toString(16)}`);
      }
    } catch (error) {
      end(error);
    }
  };
  service.on("error", (error: Error) => {
    end(error);
  });
  // stop() before the library's client connected finds no client to end, and the connection it
  // opens afterwards would hold the slot's walsender for good: close it as soon as it starts.
  service.on("start", () => {
    if (ended) void service.destroy().catch(() => undefined);
  });
  service.subscribe(new RawPlugin(onCopyData), slot, formatLsn(start)).then(
    () => {
      end(new Error("replication stream ended"));
    },
    (error: unknown) => {
      end(error);
    },
  );
  type Socket = NonNullable<NonNullable<Pausable["_connection"]>["stream"]>;
  const stream = (): Socket | undefined => (service as unknown as Pausable)._connection?.stream;
  return {
    ack,
    pause: () => stream()?.pause?.(),
    resume: () => stream()?.resume?.(),
    async stop() {
      if (ended) return;
      await ack();
      ended = true;
      clearInterval(timer);
      // pg's end() waits for the server's end of stream, which a socket paused by flow control
      // never delivers; and a close that still hangs must not keep the slot's walsender forever.
      const socket = stream();
      socket?.resume?.();
      if (!(await settlesWithin(service.destroy(), STOP_CLOSE_MS))) socket?.destroy?.();
    },
  };
}
