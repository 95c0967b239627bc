import { describe, expect, it } from "vitest";
import { createPrefetchRule } from "../src/prefetch-rule.ts";

describe("prefetch rule", () => {
  it("handles before fetching until both the round trip and the handling time are known", () => {
    const rule = createPrefetchRule();
    expect(rule.prefetch()).toBe(false);
    rule.fetched(200);
    expect(rule.prefetch()).toBe(false);
    rule.handled(20);
    expect(rule.prefetch()).toBe(true);
  });

  it("prefetches on a link whose round trip exceeds the handling time, not on a local one", () => {
    const wan = createPrefetchRule();
    const local = createPrefetchRule();
    for (let i = 0; i < 20; i++) {
      wan.fetched(182);
      wan.handled(40);
      local.fetched(2);
      local.handled(40);
    }
    expect(wan.prefetch()).toBe(true);
    expect(local.prefetch()).toBe(false);
  });

  it("takes the round trip from the quickest recent fetch: an empty fetch waits at the broker", () => {
    const rule = createPrefetchRule();
    rule.handled(30);
    rule.fetched(2);
    for (let i = 0; i < 10; i++) rule.fetched(102); // idle fetches held for maxWait (100 ms)
    expect(rule.prefetch()).toBe(false);
    for (let i = 0; i < 16; i++) rule.fetched(102); // the quick one has left the window
    expect(rule.prefetch()).toBe(true);
  });

  it("follows the handling time as it grows, and ignores nonsense durations", () => {
    const rule = createPrefetchRule();
    rule.fetched(80);
    rule.handled(20);
    expect(rule.prefetch()).toBe(true);
    for (let i = 0; i < 30; i++) rule.handled(150);
    expect(rule.prefetch()).toBe(false);
    rule.handled(Number.NaN);
    rule.fetched(-1);
    expect(rule.prefetch()).toBe(false);
  });
});
