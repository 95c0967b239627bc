/** The bounds of one caller's retry delays, in milliseconds. */
export interface Backoff {
  /** The step of the first retry (attempt 0); each later attempt doubles it. */
  readonly initialMs: number;
  /** No delay is longer than this. */
  readonly maxMs: number;
}

/**
 * The delay before retry `attempt` (0 for the first retry). The one jitter rule: the step
 * `min(maxMs, initialMs · 2^attempt)` is drawn uniformly from its upper half, so a delay is never
 * longer than `maxMs` nor shorter than half its step, and callers that fail together (replicas
 * after a broker restart, writers after a deadlock) do not retry together.
 * @throws RangeError when `attempt` is not a non-negative integer or the bounds are not
 *   `0 <= initialMs <= maxMs`.
 */
export function backoffDelay(
  backoff: Backoff,
  attempt: number,
  random: () => number = Math.random,
): number {
  const { initialMs, maxMs } = backoff;
  if (!Number.isInteger(attempt) || attempt < 0)
    throw new RangeError(`backoff attempt (${attempt}) must be a non-negative integer`);
  if (!(initialMs >= 0 && initialMs <= maxMs && Number.isFinite(maxMs)))
    throw new RangeError(
      `backoff bounds (initialMs ${initialMs}, maxMs ${maxMs}) must satisfy 0 <= initialMs <= maxMs`,
    );
  // 2^attempt overflows to Infinity for large attempts: maxMs still bounds it (0 · Infinity is NaN).
  const step = initialMs === 0 ? 0 : Math.min(maxMs, initialMs * 2 ** attempt);
  return Math.round(step / 2 + (step / 2) * random());
}
