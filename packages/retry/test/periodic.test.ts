import { afterEach, expect, it, vi } from "vitest";
import { startPeriodic } from "../src/index.ts";

afterEach(() => {
  vi.useRealTimers();
});

it("runs at once and again each interval, hands failures on, and never overlaps runs", async () => {
  vi.useFakeTimers();
  let runs = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const errors: unknown[] = [];
  const periodic = startPeriodic(
    async () => {
      runs += 1;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 30)); // slower than the interval: ticks are skipped
      inFlight -= 1;
      if (runs === 2) throw new Error("second run fails");
    },
    { intervalMs: 10, onError: (e) => errors.push(e) },
  );
  expect(runs).toBe(1);
  await vi.advanceTimersByTimeAsync(100);
  expect(runs).toBeGreaterThanOrEqual(3);
  expect(maxInFlight).toBe(1);
  expect(errors).toHaveLength(1);
  await periodic.stop();
  const after = runs;
  await vi.advanceTimersByTimeAsync(100);
  expect(runs, "no run after stop()").toBe(after);
});
