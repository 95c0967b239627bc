import { afterEach } from "vitest";

/**
 * Registers an afterEach hook that runs, newest first, every cleanup deferred during the test.
 * Every cleanup runs even if one fails; failures are reported together afterwards, so a leaked
 * slot or process fails the test instead of disappearing.
 */
export function useCleanups(): (cleanup: () => Promise<void>) => void {
  const pending: Array<() => Promise<void>> = [];
  afterEach(async () => {
    const errors: unknown[] = [];
    for (const cleanup of pending.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} cleanup(s) failed`);
  });
  return (cleanup) => {
    pending.push(cleanup);
  };
}
