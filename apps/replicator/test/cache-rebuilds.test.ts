import { describe, expect, it } from "vitest";
import { silentLogger } from "@georep/observability";
import { waitFor } from "@georep/testkit";
import { createRebuilds } from "../src/cache-rebuilds.ts";

describe("cache rebuilds", () => {
  it("runs one at a time and follows a running one with exactly one more", async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const gates: Array<() => void> = [];
    const rebuilds = createRebuilds({
      logger: silentLogger(),
      retryMs: 10,
      run: async () => {
        running += 1;
        runs += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running -= 1;
      },
    });
    rebuilds.request("start");
    rebuilds.request("ready");
    rebuilds.request("refresh failed");
    await waitFor(() => gates.length === 1, { description: "the first rebuild to run" });
    gates.shift()?.();
    await waitFor(() => gates.length === 1, { description: "the one follow-up to run" });
    gates.shift()?.();
    await waitFor(() => rebuilds.completed() === 2, { description: "both to complete" });
    expect(runs).toBe(2);
    expect(most).toBe(1);
    await rebuilds.stop();
  });

  it("retries a failed rebuild until one succeeds, and stops retrying on stop()", async () => {
    let attempts = 0;
    const rebuilds = createRebuilds({
      logger: silentLogger(),
      retryMs: 5,
      run: () => {
        attempts += 1;
        return attempts < 3 ? Promise.reject(new Error("redis away")) : Promise.resolve();
      },
    });
    rebuilds.request("start");
    await waitFor(() => rebuilds.completed() === 1, { description: "a rebuild to succeed" });
    expect(attempts).toBe(3);

    const failing = createRebuilds({
      logger: silentLogger(),
      retryMs: 60_000,
      run: () => Promise.reject(new Error("postgres away")),
    });
    failing.request("start");
    // Waiting out its retry delay: stop() must not.
    await failing.stop();
    failing.request("after stop");
    expect(failing.completed()).toBe(0);
  });
});
