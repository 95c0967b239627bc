import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  incarnationOfReplica,
  isReplicaOf,
  nextIncarnation,
  regionOfReplica,
  replicaId,
} from "../src/index.ts";

describe("replica ids", () => {
  it("keeps the bare region id for the first incarnation", () => {
    expect(replicaId("us-east", 1)).toBe("us-east");
    expect(incarnationOfReplica("us-east")).toBe(1);
  });

  it("round-trips region and incarnation", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        (region, n) => {
          const id = replicaId(region, n);
          expect(regionOfReplica(id)).toBe(region);
          expect(incarnationOfReplica(id)).toBe(n);
          expect(isReplicaOf(id, region)).toBe(true);
        },
      ),
    );
  });

  it("never confuses a region with another whose id it prefixes", () => {
    expect(isReplicaOf("us-east-2", "us-east")).toBe(false);
    expect(isReplicaOf("us-east-2.7", "us-east")).toBe(false);
    expect(isReplicaOf("us-east.x", "us-east")).toBe(false);
    // One name per incarnation: "us-east.1" would be a second origin for incarnation 1.
    expect(isReplicaOf("us-east.1", "us-east")).toBe(false);
    expect(isReplicaOf("us-east.07", "us-east")).toBe(false);
    expect(isReplicaOf("us-east.99999999999999999", "us-east")).toBe(false);
  });

  it("refuses an incarnation that is not a positive integer", () => {
    expect(() => replicaId("us-east", 0)).toThrow(/incarnation/);
    expect(() => replicaId("us-east", 1.5)).toThrow(/incarnation/);
  });

  it("numbers a new incarnation above every known one and at least the epoch second", () => {
    expect(nextIncarnation(1, 0)).toBe(2);
    expect(nextIncarnation(5, 3_000)).toBe(6);
    expect(nextIncarnation(1, 1_796_000_000_000)).toBe(1_796_000_000);
    expect(nextIncarnation(1_796_000_000, 1_796_000_000_000)).toBe(1_796_000_001);
  });
});
