// Runs cache rebuilds one at a time, however often they are asked for.
//
//   idle ──request()──▶ running ──done──▶ idle
//                         │ request() meanwhile: again = true ──done──▶ running (once more)
//                         └ failed ──after retryMs──▶ running (until one succeeds or stop())
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "@georep/observability";

export interface Rebuilds {
  /** Asks for a rebuild; one already running is followed by exactly one more. */
  request(reason: string): void;
  /** Rebuilds finished without error so far. */
  completed(): number;
  /** Resolves once no rebuild runs or waits; no new one starts after this. */
  stop(): Promise<void>;
}

export function createRebuilds(options: {
  run: (signal: AbortSignal) => Promise<void>;
  logger: Logger;
  retryMs: number;
}): Rebuilds {
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  let again: string | undefined;
  let completed = 0;

  // A function, not the property: the compiler would take `aborted` as constant across awaits.
  const stopped = (): boolean => abort.signal.aborted;
  const loop = async (first: string): Promise<void> => {
    let reason: string | undefined = first;
    while (reason !== undefined && !stopped()) {
      again = undefined;
      try {
        await options.run(abort.signal);
        if (!stopped()) completed += 1;
      } catch (error) {
        if (stopped()) break;
        options.logger.warn(
          { err: error, reason, retryInMs: options.retryMs },
          "counter cache rebuild failed; PostgreSQL stays correct, retrying",
        );
        again ??= `retry after: ${reason}`;
        // Rejects only when stopped, which ends the loop.
        await delay(options.retryMs, undefined, { signal: abort.signal }).catch(() => undefined);
      }
      reason = again;
    }
    running = undefined;
  };

  return {
    request(reason) {
      if (abort.signal.aborted) return;
      if (running !== undefined) {
        again ??= reason;
        return;
      }
      running = loop(reason);
    },
    completed: () => completed,
    async stop() {
      abort.abort();
      await running;
    },
  };
}
