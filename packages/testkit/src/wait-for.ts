import { setTimeout as delay } from "node:timers/promises";

export interface WaitForOptions {
  /** Give up after this long. Default 10 s. */
  timeoutMs?: number;
  /** Pause between polls. Default 50 ms. */
  intervalMs?: number;
  /** What we wait for, in words: it leads the timeout message. */
  description: string;
}

export class WaitForTimeoutError extends Error {
  override readonly name = "WaitForTimeoutError";
  constructor(
    message: string,
    readonly lastValue: unknown,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

function show(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
    return text.length > 500 ? `${text.slice(0, 500)}…` : text;
  } catch {
    return String(value);
  }
}

/**
 * Polls `condition` until it returns a truthy value (which is returned), never sleeping blindly.
 * A throwing condition counts as "not yet".
 * @throws WaitForTimeoutError with the description and the last value or error seen.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, description }: WaitForOptions,
): Promise<NonNullable<T>> {
  const started = Date.now();
  for (;;) {
    let seen: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      const value = await condition();
      if (value) return value;
      seen = { ok: true, value };
    } catch (error) {
      seen = { ok: false, error };
    }
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) {
      const last = seen.ok ? `last value: ${show(seen.value)}` : `last error: ${show(seen.error)}`;
      throw new WaitForTimeoutError(
        `Timed out after ${elapsed} ms waiting for ${description} (${last})`,
        seen.ok ? seen.value : undefined,
        seen.ok ? undefined : seen.error,
      );
    }
    await delay(Math.min(intervalMs, Math.max(0, timeoutMs - elapsed)));
  }
}
