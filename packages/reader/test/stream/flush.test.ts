import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "@georep/observability";
import { createLedger } from "../../src/ledger.ts";
import { lsnFromBigInt as l } from "../../src/postgres/lsn.ts";
import type { CaptureBatch } from "../../src/sink.ts";
import { startFlushLoop } from "../../src/stream/flush.ts";
import type { FlushLoop } from "../../src/stream/flush.ts";
import { createFlushWindow } from "../../src/stream/window.ts";
import { codec, stateValues } from "../fixtures.ts";

const LINGER_MS = 20;

describe("flush loop", () => {
  let loop: FlushLoop | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(async () => {
    const stopping = loop?.stop();
    await vi.runAllTimersAsync();
    await stopping;
    vi.useRealTimers();
  });

  const start = (): { window: ReturnType<typeof createFlushWindow>; shipped: CaptureBatch[] } => {
    const window = createFlushWindow(l(1n));
    const ledger = createLedger(l(1n));
    const shipped: CaptureBatch[] = [];
    loop = startFlushLoop({
      window: () => window,
      ledger: () => ledger,
      sink: {
        ready: () => Promise.resolve(),
        ship: (batch) => {
          shipped.push(batch);
          return Promise.resolve();
        },
      },
      logger: silentLogger(),
      lingerMs: LINGER_MS,
      replica: () => "r",
      reread: () => Promise.resolve(undefined),
      onCut: () => undefined,
      onShipped: () => undefined,
      onError: (error) => {
        throw error;
      },
    });
    return { window, shipped };
  };

  it("sets no timer while the window stays empty, and ships one linger after the first change", async () => {
    const { window, shipped } = start();
    await vi.advanceTimersByTimeAsync(10 * LINGER_MS);
    // An idle stream: parked, not polling every linger.
    expect(vi.getTimerCount()).toBe(0);
    window.add(codec, stateValues("a"), l(100n), 1);
    window.commit(l(101n));
    loop?.filled();
    await vi.advanceTimersByTimeAsync(LINGER_MS - 1);
    expect(shipped).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(shipped).toHaveLength(1);
    // Empty again after the cut: parked again.
    await vi.advanceTimersByTimeAsync(10 * LINGER_MS);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("flushes at once when the window fills up before the parked loop resumed", async () => {
    const { window, shipped } = start();
    await vi.advanceTimersByTimeAsync(0);
    window.add(codec, stateValues("a"), l(100n), 1);
    window.commit(l(101n));
    // Both in the same turn, as a socket chunk carrying a full window delivers them.
    loop?.filled();
    loop?.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(shipped).toHaveLength(1);
  });
});
