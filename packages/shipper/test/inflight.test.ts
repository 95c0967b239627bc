import { describe, expect, it } from "vitest";
import { createInflightWindow } from "../src/inflight.ts";

describe("bounded in-flight window", () => {
  it("makes ready() wait while full and resumes waiters in order as batches settle", async () => {
    const w = createInflightWindow(2);
    await w.ready();
    w.enter();
    w.enter();
    const order: number[] = [];
    const first = w.ready().then(() => order.push(1));
    const second = w.ready().then(() => order.push(2));
    await Promise.resolve();
    expect(order).toEqual([]);
    w.leave();
    await first;
    expect(order).toEqual([1]);
    w.enter();
    w.leave();
    await second;
    expect(order).toEqual([1, 2]);
  });
  it("releases every waiter when closed", async () => {
    const w = createInflightWindow(1);
    w.enter();
    const waiting = w.ready();
    w.close();
    await expect(waiting).resolves.toBeUndefined();
  });
});
