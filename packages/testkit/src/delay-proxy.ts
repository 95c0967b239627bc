// A TCP proxy that delays every chunk, in each direction, by a fixed one-way delay: WAN latency
// for tests on a kernel without netem. Order is kept: each direction of a connection is a FIFO
// of (due time, chunk) drained by one timer armed for its head, never a timer per chunk.
//
//   per direction:  idle ──chunk──▶ queued (timer armed for the head's due time)
//                   queued ──timer──▶ writes every due chunk in order ──▶ queued | idle
//                   source ended ──(after the delay, behind its last chunk)──▶ target ended
//   either socket fails ──▶ both destroyed, queues dropped
//   a socket closes cleanly ──▶ its end still reaches the other side after the delay
import { createConnection, createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import { z } from "zod";

/** The proxy could not be set up (bad options, its port taken); `cause` has the socket error. */
export class DelayProxyError extends Error {
  override readonly name = "DelayProxyError";
}

const optionsSchema = z
  .object({
    /** Port to listen on (127.0.0.1); 0 picks a free one. */
    listenPort: z.number().int().min(0).max(65535).default(0),
    targetHost: z.string().min(1).default("127.0.0.1"),
    targetPort: z.number().int().min(1, { message: "must be the target's TCP port" }).max(65535),
    /** Added to every chunk in each direction: a round trip gains twice this. */
    oneWayDelayMs: z.number().min(0, { message: "must be ≥ 0 (ms)" }).max(60_000),
  })
  .strict();

export type DelayProxyOptions = z.input<typeof optionsSchema>;

export interface DelayProxy {
  readonly port: number;
  readonly oneWayDelayMs: number;
  /** Connections open now. */
  connections(): number;
  /** Stops accepting and destroys every open connection. */
  close(): Promise<void>;
}

/** Bytes queued in one direction past which the source is paused until the queue drains. */
const HIGH_WATER_BYTES = 8 * 1024 * 1024;

interface Queued {
  readonly due: number;
  /** undefined: the source ended here. */
  readonly chunk: Buffer | undefined;
}

/** One direction: chunks read from `from` reach `to` `delayMs` later, in order. */
function delayedPipe(from: Socket, to: Socket, delayMs: number): { drop(): void } {
  const queue: Queued[] = [];
  let head = 0;
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (head < queue.length && (queue[head] as Queued).due <= now) {
      const { chunk } = queue[head] as Queued;
      head += 1;
      // The receiving side has gone: what was still on its way is lost, as on a real network.
      if (to.destroyed || to.writableEnded) continue;
      if (chunk === undefined) to.end();
      else {
        bytes -= chunk.length;
        to.write(chunk);
      }
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else arm();
    if (bytes < HIGH_WATER_BYTES && from.isPaused()) from.resume();
  };
  const arm = (): void => {
    if (timer !== undefined || head === queue.length) return;
    const wait = (queue[head] as Queued).due - performance.now();
    timer = setTimeout(flush, Math.max(0, wait));
  };
  const push = (chunk: Buffer | undefined): void => {
    queue.push({ due: performance.now() + delayMs, chunk });
    arm();
  };
  from.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    push(chunk);
    if (bytes >= HIGH_WATER_BYTES) from.pause();
  });
  from.on("end", () => {
    push(undefined);
  });
  return {
    drop() {
      clearTimeout(timer);
      queue.length = 0;
      head = 0;
    },
  };
}

/**
 * Listens on 127.0.0.1 and forwards each connection to the target with the one-way delay.
 * @throws DelayProxyError naming the field for bad options, or when the port cannot be bound.
 */
export async function startDelayProxy(input: DelayProxyOptions): Promise<DelayProxy> {
  const parsed = optionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DelayProxyError(
      `delay proxy: ${issue?.path.join(".") ?? "options"} ${issue?.message ?? "is invalid"}`,
      { cause: parsed.error },
    );
  }
  const o = parsed.data;
  const open = new Set<{ readonly client: Socket; readonly target: Socket }>();
  // Half-open allowed: a side's FIN reaches the other side after the delay, behind its data,
  // instead of node closing the pair at once.
  const server: Server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    const target = createConnection({
      host: o.targetHost,
      port: o.targetPort,
      noDelay: true,
      allowHalfOpen: true,
    });
    const pair = { client, target };
    open.add(pair);
    const up = delayedPipe(client, target, o.oneWayDelayMs);
    const down = delayedPipe(target, client, o.oneWayDelayMs);
    // A socket error (a reset, the target refusing) ends the pair at once. A clean close does
    // not: its end is still on its way to the other side, which closes once that arrives.
    const abort = (): void => {
      up.drop();
      down.drop();
      client.destroy();
      target.destroy();
    };
    for (const s of [client, target]) {
      s.on("error", abort);
      s.on("close", (hadError) => {
        if (hadError) abort();
        if (client.destroyed && target.destroyed) {
          up.drop();
          down.drop();
          open.delete(pair);
        }
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => {
      reject(
        new DelayProxyError(`delay proxy: cannot listen on 127.0.0.1:${o.listenPort}`, {
          cause: error,
        }),
      );
    });
    server.listen(o.listenPort, "127.0.0.1", () => {
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    oneWayDelayMs: o.oneWayDelayMs,
    connections: () => open.size,
    close: () =>
      new Promise((resolve) => {
        for (const pair of open) {
          pair.client.destroy();
          pair.target.destroy();
        }
        open.clear();
        server.close(() => {
          resolve();
        });
      }),
  };
}
