import { describe, expect, it } from "vitest";
import { packHlc } from "@georep/crdt";
import type { Barrier } from "../../src/collection/barrier.ts";
import { blockedPeers } from "../../src/collection/blocked-peers.ts";

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;
const input = {
  self: "a",
  live: ["a", "b", "c"],
  now: NOW,
  blockedAfterSeconds: 600,
  settled: true,
};
const barrier = (
  barriers: Record<string, number>,
  heldBy: Record<string, readonly string[]>,
): Barrier => ({
  applied: new Map(),
  barrier: new Map(Object.entries(barriers).map(([r, ms]) => [r, packHlc(ms)])),
  heldBy: new Map(Object.entries(heldBy)),
});

describe("blockedPeers", () => {
  it("names the live peers holding a live region's barrier older than the threshold", () => {
    const { ages, blocking } = blockedPeers(
      barrier({ a: NOW - HOUR, b: NOW - 1000 }, { a: ["c"], b: ["a"] }),
      input,
    );
    expect(ages).toEqual(
      new Map([
        ["a", 3600],
        ["b", 1],
      ]),
    );
    expect(blocking).toEqual(
      new Map([
        ["b", false],
        ["c", true],
      ]),
    );
  });

  it("raises no alarm for a removed region's barrier, frozen at its last beats and old by nature", () => {
    // Review finding: a region removed for good set its holders' georep_gc_blocked_by to 1.
    const { ages, blocking } = blockedPeers(
      barrier({ gone: NOW - 24 * HOUR, a: NOW }, { gone: ["b", "c"], a: ["b"] }),
      input,
    );
    expect(ages.has("gone")).toBe(false);
    expect(blocking).toEqual(
      new Map([
        ["b", false],
        ["c", false],
      ]),
    );
  });

  it("an unknown barrier alarms only once the collector has run past the threshold", () => {
    const b = barrier({}, { b: ["c"] });
    expect(blockedPeers(b, { ...input, settled: false }).blocking.get("c")).toBe(false);
    expect(blockedPeers(b, input).blocking.get("c")).toBe(true);
    expect(blockedPeers(b, input).ages.get("b")).toBe(Infinity);
  });
});
