import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `pending` (what is still not done) every 500 ms until it returns nothing or `timeoutMs`
 * passes; returns what was still pending at the end (empty: done).
 */
export async function waitUntil<T>(
  timeoutMs: number,
  pending: () => Promise<readonly T[]>,
): Promise<readonly T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await pending();
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(500);
  }
}
