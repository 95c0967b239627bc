import { describe, expect, it } from "vitest";
import { newClusterId } from "../kafka.ts";

describe("newClusterId", () => {
  it("is 22 base64url characters and never starts with '-' (the storage tool would read an option)", () => {
    // 1 id in 64 started with "-" before; 2,000 draws would have met one with near certainty.
    for (let i = 0; i < 2_000; i++) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
