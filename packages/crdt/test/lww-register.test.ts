import { describe, expect, it } from "vitest";
import { compareStamp, createHlc, mergeLww, packHlc, writeLww } from "../src/index.ts";
import type { LwwRegister } from "../src/index.ts";

const T0 = 1_700_000_000_000;

describe("lww register", () => {
  it("orders by (stamp, region): a total order, region breaks ties", () => {
    const a: LwwRegister = { value: "a", stamp: 5n, region: "eu-west" };
    const b: LwwRegister = { value: "b", stamp: 5n, region: "us-east" };
    const c: LwwRegister = { value: "c", stamp: 6n, region: "ap-south" };
    expect(mergeLww(a, b)).toBe(b);
    expect(mergeLww(b, a)).toBe(b);
    expect(mergeLww(b, c)).toBe(c);
    expect(compareStamp(a, a)).toBe(0);
  });

  it("a local write beats the value it overwrites even when the local wall clock is behind", () => {
    const remote: LwwRegister = {
      value: "from the future",
      stamp: packHlc(T0 + 3_600_000, 0),
      region: "us-east",
    };
    const hlc = createHlc({ wallClock: () => T0, maxForwardSkewMs: 1000 });
    const mine = writeLww(remote, "mine", hlc, "ap-south");
    expect(mine.stamp > remote.stamp).toBe(true);
    expect(mergeLww(remote, mine)).toBe(mine);
  });

  it("consecutive local writes keep increasing", () => {
    const hlc = createHlc({ wallClock: () => T0, maxForwardSkewMs: 0 });
    const a = writeLww(undefined, 1, hlc, "us-east");
    const b = writeLww(a, 2, hlc, "us-east");
    expect(b.stamp).toBe(a.stamp + 1n);
  });
});
