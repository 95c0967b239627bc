import { describe, expect, it } from "vitest";
import { collectionBounds, computeBarrier, UNBOUNDED } from "../../src/collection/barrier.ts";
import type { BarrierInput, PartitionBeat } from "../../src/collection/barrier.ts";

const parts = (origin: string, n: number) =>
  Array.from({ length: n }, (_v, partition) => ({ topic: `georep.${origin}`, partition, origin }));
const beat = (
  origin: string,
  partition: number,
  stable: bigint,
  applied: Record<string, bigint>,
): PartitionBeat => ({
  topic: `georep.${origin}`,
  partition,
  origin,
  stable,
  applied: new Map(Object.entries(applied)),
});

// Region a's view of b and c (two partitions each).
const base = (): BarrierInput => ({
  self: "a",
  live: ["a", "b", "c"],
  partitions: [...parts("b", 2), ...parts("c", 2)],
  beats: [
    beat("b", 0, 100n, { a: 50n, c: 60n }),
    beat("b", 1, 90n, { a: 55n, c: 40n }),
    beat("c", 0, 80n, { a: 70n, b: 30n }),
    beat("c", 1, 85n, { a: 75n, b: 35n }),
  ],
  blocked: new Set(),
});

describe("computeBarrier", () => {
  it("applied(origin) is the oldest partition's stable; reports are the minimum over partitions", () => {
    const b = computeBarrier(base());
    expect(b.applied).toEqual(
      new Map([
        ["b", 90n],
        ["c", 80n],
      ]),
    );
    // Tombstones of a: what b and c applied of a.
    expect(b.barrier.get("a")).toBe(50n);
    // Of b: a applied 90, c reported 30.
    expect(b.barrier.get("b")).toBe(30n);
    // Of c: a applied 80, b reported 40.
    expect(b.barrier.get("c")).toBe(40n);
    expect(b.heldBy.get("b")).toEqual(["c"]);
  });

  it("a partition never heard from leaves its origin unknown, and every barrier it takes part in", () => {
    const input = base();
    const b = computeBarrier({
      ...input,
      beats: input.beats.filter((x) => x.partition !== 1 || x.origin !== "c"),
    });
    expect(b.applied.has("c")).toBe(false);
    expect(b.barrier.has("a")).toBe(false); // c's report about a is not trusted
    expect(b.barrier.has("c")).toBe(false); // a's own applied(c) unknown
    expect(b.heldBy.get("a")).toEqual(["c"]);
  });

  it("an unheard partition listed before a heard one still leaves its origin unknown", () => {
    // Review finding: the unknown mark was undone by the next heard partition of the origin.
    const input = base();
    const b = computeBarrier({
      ...input,
      beats: input.beats.filter((x) => x.partition !== 0 || x.origin !== "c"),
    });
    expect(b.applied.has("c")).toBe(false);
    expect(b.barrier.has("c")).toBe(false);
  });

  it("an origin with rows in the quarantine or an unrepaired gap blocks like a silent one", () => {
    const b = computeBarrier({ ...base(), blocked: new Set(["b"]) });
    expect(b.applied.has("b")).toBe(false);
    expect(b.barrier.has("b")).toBe(false);
    expect(b.barrier.has("a")).toBe(false);
    expect(b.barrier.get("c")).toBeUndefined();
  });

  it("a report that omits an origin is unknown for that origin only", () => {
    const input = base();
    const b = computeBarrier({
      ...input,
      beats: input.beats.map((x) =>
        x.origin === "b" ? { ...x, applied: new Map([["a", 50n]]) } : x,
      ),
    });
    expect(b.barrier.get("a")).toBe(50n);
    expect(b.barrier.has("c")).toBe(false);
  });

  it("a region alone waits for nobody", () => {
    const b = computeBarrier({
      self: "a",
      live: ["a"],
      partitions: [],
      beats: [],
      blocked: new Set(),
    });
    expect(b.barrier.get("a")).toBe(UNBOUNDED);
  });

  it("a peer that is down keeps its last report: the barrier stops there", () => {
    const input = base();
    const later = computeBarrier({
      ...input,
      beats: input.beats.map((x) => (x.origin === "b" ? { ...x, stable: x.stable + 1000n } : x)),
    });
    // c stopped: its reports did not move, so b's tombstones stay behind c's last word.
    expect(later.barrier.get("b")).toBe(30n);
  });

  it("a removed region's tombstones get a barrier from its final beats and the live regions' reports of it", () => {
    // c was removed: a no longer consumes it, but its last beats stand, and b still reports it.
    const input: BarrierInput = { ...base(), live: ["a", "b"], removed: ["c"] };
    const b = computeBarrier(input);
    expect(b.applied.get("c"), "a's applied(c): c's oldest final beat").toBe(80n);
    // a's term is its own applied(c) = 80, b's is its report of c, min over b's partitions = 40.
    expect(b.barrier.get("c")).toBe(40n);
    expect(b.heldBy.get("c")).toEqual(["b"]);
    // c is no one's term any more: b's tombstones wait only for a (its applied(b) = 90).
    expect(b.barrier.get("b")).toBe(90n);
  });

  it("a removed region whose beats were not all recorded, or not reported by a live region, has no barrier", () => {
    const input: BarrierInput = { ...base(), live: ["a", "b"], removed: ["c"] };
    const oneBeatMissing = computeBarrier({
      ...input,
      beats: input.beats.filter((x) => !(x.origin === "c" && x.partition === 1)),
    });
    expect(oneBeatMissing.barrier.has("c")).toBe(false);
    const notReported = computeBarrier({
      ...input,
      beats: input.beats.map((x) => (x.origin === "b" ? { ...x, applied: new Map() } : x)),
    });
    expect(notReported.barrier.has("c")).toBe(false);
    expect(notReported.heldBy.get("c")).toEqual(["b"]);
    // Without the removed list (the code before), c's tombstones had no barrier at all.
    expect(computeBarrier({ ...input, removed: undefined }).barrier.has("c")).toBe(false);
  });

  it("collection compares every row's tombstone with the lowest barrier: a copied tombstone may be any region's delete", () => {
    const input: BarrierInput = { ...base(), live: ["a", "b", "c"] };
    const b = computeBarrier(input);
    expect([...b.barrier]).toEqual([
      ["a", 50n],
      ["b", 30n],
      ["c", 40n],
    ]);
    expect(collectionBounds(b, input.live, 1000n)).toEqual({
      regions: ["a", "b", "c"],
      stamps: [30n, 30n, 30n],
    });
    // A removed region's barrier is frozen at its last beats: its rows get the lower bound, the
    // live regions' rows are not held back by it.
    const removed = computeBarrier({ ...input, live: ["a", "b"], removed: ["c"] });
    expect(removed.barrier.get("c")).toBe(40n);
    expect(collectionBounds(removed, ["a", "b"], 1000n)).toEqual({
      regions: ["a", "b", "c"],
      stamps: [50n, 50n, 40n],
    });
    // One live region's barrier unknown: nothing is collected, whoever deleted.
    const silent = computeBarrier({ ...input, beats: input.beats.filter((x) => x.origin !== "c") });
    expect(silent.barrier.has("a")).toBe(false);
    expect(collectionBounds(silent, input.live, 1000n)).toEqual({ regions: [], stamps: [] });
    // The grace caps every bound: tombstones younger than it stay whatever the barriers say.
    expect(collectionBounds(b, input.live, 35n).stamps).toEqual([30n, 30n, 30n]);
    expect(collectionBounds(b, input.live, 20n).stamps).toEqual([20n, 20n, 20n]);
  });
});
