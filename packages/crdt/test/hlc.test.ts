import { describe, expect, it } from "vitest";
import {
  BigintRangeError,
  ClockSkewError,
  CrdtError,
  LOGICAL_MAX,
  createHlc,
  packHlc,
  stampAfter,
  unpackHlc,
} from "../src/index.ts";

const T0 = 1_700_000_000_000;

/** An injected wall clock the test moves by hand. */
function manualClock(start = T0): { now: () => number; set: (ms: number) => void } {
  let ms = start;
  return { now: () => ms, set: (v) => (ms = v) };
}

describe("hlc packing", () => {
  it("packs (physical << 16) | logical and unpacks it", () => {
    const s = packHlc(T0, 7);
    expect(s).toBe((BigInt(T0) << 16n) | 7n);
    expect(unpackHlc(s)).toEqual({ physicalMs: T0, logical: 7 });
  });

  it("fits PostgreSQL bigint at the largest physical time", () => {
    expect(packHlc(2 ** 47 - 1, LOGICAL_MAX)).toBe(2n ** 63n - 1n);
    expect(() => packHlc(2 ** 47, 0)).toThrow(BigintRangeError);
    expect(() => packHlc(T0, 65_536)).toThrow(BigintRangeError);
    expect(() => packHlc(-1, 0)).toThrow(BigintRangeError);
    expect(() => unpackHlc(-1n)).toThrow(BigintRangeError);
  });

  it("orders stamps like (physical, logical)", () => {
    expect(packHlc(T0, LOGICAL_MAX) < packHlc(T0 + 1, 0)).toBe(true);
  });
});

describe("hlc clock", () => {
  it("stays monotonic when the wall clock goes backwards", () => {
    const wall = manualClock();
    const hlc = createHlc({ wallClock: wall.now, maxForwardSkewMs: 1000 });
    const a = hlc.now();
    wall.set(T0 - 60_000); // NTP step back by a minute
    const b = hlc.now();
    const c = hlc.now();
    expect(b).toBe(a + 1n);
    expect(c).toBe(b + 1n);
    expect(unpackHlc(c)).toEqual({ physicalMs: T0, logical: 2 });
    wall.set(T0 + 5);
    expect(hlc.now()).toBe(packHlc(T0 + 5, 0));
  });

  it("carries a logical overflow into the physical part", () => {
    const wall = manualClock();
    const hlc = createHlc({
      wallClock: wall.now,
      maxForwardSkewMs: 0,
      initial: packHlc(T0, LOGICAL_MAX),
    });
    expect(unpackHlc(hlc.now())).toEqual({ physicalMs: T0 + 1, logical: 0 });
  });

  it("moves past a remote stamp within the allowed skew", () => {
    const hlc = createHlc({ wallClock: manualClock().now, maxForwardSkewMs: 500 });
    const remote = packHlc(T0 + 400, 9);
    const r = hlc.receive(remote);
    expect(r).toBe(remote + 1n);
    expect(hlc.peek()).toBe(r);
    expect(hlc.now() > remote).toBe(true);
  });

  it("ignores a remote stamp that is behind, but still ticks", () => {
    const hlc = createHlc({ wallClock: manualClock().now, maxForwardSkewMs: 500 });
    const before = hlc.now();
    expect(hlc.receive(packHlc(T0 - 10_000, 0))).toBe(before + 1n);
  });

  it("refuses a remote stamp too far ahead, names both clocks and the fix, and stays put", () => {
    const hlc = createHlc({ wallClock: manualClock().now, maxForwardSkewMs: 500 });
    const before = hlc.now();
    let err: unknown;
    try {
      hlc.receive(packHlc(T0 + 501, 0));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClockSkewError);
    const skew = err as ClockSkewError;
    expect(skew).toMatchObject({
      name: "ClockSkewError",
      remotePhysicalMs: T0 + 501,
      wallClockMs: T0,
      maxForwardSkewMs: 500,
      skewMs: 501,
    });
    expect(skew.message).toMatch(/NTP|chrony/);
    expect(skew.message).toMatch(/maxForwardSkewMs/);
    expect(hlc.peek()).toBe(before);
  });

  it("rejects bad options", () => {
    expect(() => createHlc({ wallClock: Date.now, maxForwardSkewMs: -1 })).toThrow(CrdtError);
  });

  it("stampAfter beats the observed stamp even when our clock lags far behind", () => {
    const hlc = createHlc({ wallClock: manualClock(T0 - 3_600_000).now, maxForwardSkewMs: 0 });
    const observed = packHlc(T0, 3);
    expect(stampAfter(hlc, observed)).toBe(observed + 1n);
    expect(stampAfter(hlc, undefined)).toBe(hlc.peek());
  });
});
