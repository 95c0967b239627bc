import { describe, expect, it } from "vitest";
import { idleLines, idleSecondsFromEnv, measureIdle } from "./idle-cost.ts";
import type { BenchReplicator } from "./lag-processes.ts";

describe("idleSecondsFromEnv", () => {
  it("is 10 s when unset, and reads seconds (0 skips)", () => {
    expect(idleSecondsFromEnv({})).toBe(10);
    expect(idleSecondsFromEnv({ BENCH_IDLE_SECONDS: "2.5" })).toBe(2.5);
    expect(idleSecondsFromEnv({ BENCH_IDLE_SECONDS: "0" })).toBe(0);
  });

  it.each(["", "-1", "ten", "Infinity"])("refuses %j, naming it", (text) => {
    expect(() => idleSecondsFromEnv({ BENCH_IDLE_SECONDS: text })).toThrow(
      `BENCH_IDLE_SECONDS needs a number of seconds ≥ 0, e.g. 10, or 0 to skip (got ${JSON.stringify(text)})`,
    );
  });
});

describe("measureIdle", () => {
  it("takes each process's CPU time over the window", async () => {
    let ticks = 0;
    const proc = { region: "r1", cpuSeconds: () => (ticks += 0.01) } as unknown as BenchReplicator;
    const idle = await measureIdle([proc], 0.01);
    expect(idle.cpu).toEqual([{ region: "r1", cpuSeconds: expect.closeTo(0.01, 9) as number }]);
    expect(idle.seconds).toBeGreaterThanOrEqual(0.009);
  });
});

describe("idleLines", () => {
  it("prints the mean and each replicator's share of one core", () => {
    expect(
      idleLines({
        seconds: 10,
        cpu: [
          { region: "us-east", cpuSeconds: 0.05 },
          { region: "eu-west", cpuSeconds: 0.15 },
        ],
        machineBusy: 0.123,
      }),
    ).toEqual([
      "  idle cost (10 s with no writes, after the drain): mean 1.0% of one core per replicator; machine 12% busy",
      "    replicator us-east: 0.5% of one core",
      "    replicator eu-west: 1.5% of one core",
    ]);
  });
});
