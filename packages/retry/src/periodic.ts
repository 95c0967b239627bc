/**
 * Runs `run` now and every intervalMs, never two at once (a slow run skips ticks). A failed run is
 * handed to onError and the next tick tries again. The timer does not keep the process alive.
 */
export interface Periodic {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

export function startPeriodic(
  run: () => Promise<void>,
  options: { readonly intervalMs: number; readonly onError: (error: unknown) => void },
): Periodic {
  let running: Promise<void> | undefined;
  const tick = (): void => {
    running ??= run()
      .catch(options.onError)
      .finally(() => (running = undefined));
  };
  tick();
  const timer = setInterval(tick, options.intervalMs).unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
