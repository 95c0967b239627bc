import { describe, expect, it } from "vitest";
import { WaitForTimeoutError, uniqueName, waitFor } from "../src/index.ts";

describe("uniqueName", () => {
  it("is a safe lowercase identifier of at most 63 characters", () => {
    for (const prefix of ["Ground Slot", "-x-", "1abc", "a".repeat(100), "", "ünï"]) {
      const name = uniqueName(prefix);
      expect(name).toMatch(/^[a-z][a-z0-9_]{0,62}$/);
    }
  });
  it("keeps the prefix readable and never repeats", () => {
    const names = Array.from({ length: 1000 }, () => uniqueName("ground_topic"));
    expect(new Set(names).size).toBe(1000);
    expect(names[0]).toMatch(/^ground_topic_/);
  });
});

describe("waitFor", () => {
  it("returns the first truthy value", async () => {
    let n = 0;
    await expect(
      waitFor(() => (++n >= 3 ? n : 0), { description: "n to reach 3", intervalMs: 1 }),
    ).resolves.toBe(3);
  });

  it("treats a throwing condition as not yet", async () => {
    let n = 0;
    const value = await waitFor(
      () => {
        n += 1;
        if (n < 3) throw new Error("not ready");
        return "ready";
      },
      { description: "readiness", intervalMs: 1 },
    );
    expect(value).toBe("ready");
  });

  it("times out with the description and the last value", async () => {
    const error = await waitFor(() => ({ lag: 7 }).lag > 10, {
      description: "lag above 10",
      timeoutMs: 30,
      intervalMs: 5,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitForTimeoutError);
    expect((error as Error).message).toMatch(
      /^Timed out after \d+ ms waiting for lag above 10 \(last value: false\)$/,
    );
  });

  it("times out with the last error", async () => {
    await expect(
      waitFor(
        () => {
          throw new Error("connection refused");
        },
        { description: "the broker", timeoutMs: 20, intervalMs: 5 },
      ),
    ).rejects.toThrow(/waiting for the broker \(last error: Error: connection refused\)/);
  });
});
