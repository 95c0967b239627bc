import { describe, expect, it } from "vitest";
import { createBatchLanes } from "../src/batch-lanes.ts";

/** A promise and the function that settles it, for work a test finishes by hand. */
function gate(): { readonly promise: Promise<void>; open(): void; fail(error: Error): void } {
  let open = (): void => undefined;
  let fail = (_: Error): void => undefined;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("batch lanes", () => {
  it("makes a partition's next batch wait for the one under way, but not another partition's", async () => {
    const lanes = createBatchLanes();
    const first = gate();
    lanes.run(
      "t:0",
      () => first.promise,
      () => undefined,
    );
    let sameDone = false;
    let otherDone = false;
    void lanes.previous("t:0").then(() => (sameDone = true));
    void lanes.previous("t:1").then(() => (otherDone = true));
    await tick();
    expect(otherDone).toBe(true);
    expect(sameDone).toBe(false);
    first.open();
    await tick();
    expect(sameDone).toBe(true);
  });

  it("hands a failure to the partition's next batch once, after telling onFailure", async () => {
    const lanes = createBatchLanes();
    const failures: unknown[] = [];
    const error = new Error("merge failed");
    lanes.run(
      "t:0",
      () => Promise.reject(error),
      (e) => failures.push(e),
    );
    expect(await lanes.previous("t:0")).toEqual({ error });
    expect(failures).toEqual([error]);
    expect(await lanes.previous("t:0")).toBeUndefined();
  });

  it("forgets kept failures when positions are reloaded", async () => {
    const lanes = createBatchLanes();
    lanes.run(
      "t:0",
      () => Promise.reject(new Error("x")),
      () => undefined,
    );
    await lanes.settled();
    lanes.forgetFailures();
    expect(await lanes.previous("t:0")).toBeUndefined();
  });

  it("settles only once every busy lane is done", async () => {
    const lanes = createBatchLanes();
    const a = gate();
    const b = gate();
    lanes.run(
      "t:0",
      () => a.promise,
      () => undefined,
    );
    lanes.run(
      "t:1",
      () => b.promise,
      () => undefined,
    );
    let settled = false;
    void lanes.settled().then(() => (settled = true));
    a.open();
    await tick();
    expect(settled).toBe(false);
    b.fail(new Error("late failure"));
    await tick();
    expect(settled).toBe(true);
  });
});
