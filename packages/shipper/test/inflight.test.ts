import { describe, expect, it } from "vitest";
import { createInflightWindow } from "../src/inflight.ts";

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe("bounded in-flight window", () => {
  it("makes ready() wait while full and resumes the waiters once a batch settles", async () => {
    const w = createInflightWindow(2);
    await w.ready();
    w.enter();
    w.enter();
    const resumed: number[] = [];
    void w.ready().then(() => resumed.push(1));
    void w.ready().then(() => resumed.push(2));
    await settle();
    expect(resumed).toEqual([]);
    w.leave();
    await settle();
    expect(resumed).toEqual([1, 2]);
  });

  it("a waiter that ships nothing does not leave another asleep with room in the window", async () => {
    // The flush loop waits, finds its window empty and ships nothing; the own-state emit waiting
    // beside it must still get the room.
    const w = createInflightWindow(1);
    w.enter();
    let flushWoke = false;
    let emitWoke = false;
    void w.ready().then(() => (flushWoke = true));
    void w.ready().then(() => (emitWoke = true));
    w.leave();
    await settle();
    expect(flushWoke).toBe(true);
    expect(emitWoke).toBe(true);
  });

  it("a woken waiter waits again while others have refilled the window", async () => {
    const w = createInflightWindow(1);
    w.enter();
    let woke = false;
    void w.ready().then(() => (woke = true));
    w.leave();
    w.enter(); // someone else took the slot before the waiter ran
    await settle();
    expect(woke).toBe(false);
    w.leave();
    await settle();
    expect(woke).toBe(true);
  });

  it("releases every waiter when closed", async () => {
    const w = createInflightWindow(1);
    w.enter();
    const waiting = w.ready();
    w.close();
    await expect(waiting).resolves.toBeUndefined();
  });
});
