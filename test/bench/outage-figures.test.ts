import { describe, expect, it } from "vitest";
import { catchUpShare, outageLines, outageSettings, outageVerdict } from "./outage-figures.ts";
import type { OutageResult } from "./outage-figures.ts";

describe("outageSettings", () => {
  it("defaults to outages of 1, 5 and 10 minutes at 100 commits/s", () => {
    expect(outageSettings({})).toEqual({ minutes: [1, 5, 10], rate: 100 });
  });

  it("takes fractions of a minute and a rate", () => {
    expect(outageSettings({ BENCH_OUTAGE_MINUTES: " 0.25, 2 ", BENCH_OUTAGE_RATE: "50" })).toEqual({
      minutes: [0.25, 2],
      rate: 50,
    });
  });

  it("skips the bench on 0 or an empty value", () => {
    expect(outageSettings({ BENCH_OUTAGE_MINUTES: "0" }).minutes).toEqual([]);
    expect(outageSettings({ BENCH_OUTAGE_MINUTES: "" }).minutes).toEqual([]);
  });

  it.each(["1,,5", "abc", "-1", "1,0", "Infinity"])(
    "refuses minutes %j, naming the variable and the value",
    (text) => {
      expect(() => outageSettings({ BENCH_OUTAGE_MINUTES: text })).toThrow(
        `BENCH_OUTAGE_MINUTES needs outage lengths in minutes above 0 separated by commas, e.g. 1,5,10 or 0.25, or 0 to skip (got ${JSON.stringify(text)})`,
      );
    },
  );

  it.each(["0", "2.5", "50,100", "fast"])("refuses rate %j", (text) => {
    expect(() => outageSettings({ BENCH_OUTAGE_RATE: text })).toThrow(
      `BENCH_OUTAGE_RATE needs one whole number of commits/s per region, e.g. 100 (got ${JSON.stringify(text)})`,
    );
  });
});

const result = (catchUpSeconds: number, complete = true): OutageResult => ({
  minutes: 1,
  victim: "us-east",
  regions: 3,
  rate: 100,
  outageSeconds: 60,
  walBacklog: 6000,
  walBytes: 3 * 1024 * 1024,
  kafkaBacklog: 12_000,
  activeSeconds: 2.5,
  catchUp: { seconds: catchUpSeconds, complete },
  catchUpCpuSeconds: catchUpSeconds / 2,
  machineBusy: 0.9,
  load: 2.25,
  cores: 2,
  converged: { seconds: 0.4, complete: true },
});

describe("outageVerdict", () => {
  it("is OK at exactly 10% of the outage", () => {
    expect(catchUpShare(result(6))).toBeCloseTo(0.1);
    expect(outageVerdict(result(6))).toBe(
      "catch-up after a 1 min outage: 6.0 s = 10.0% of the outage (target ≤ 10.0%) OK",
    );
  });

  it("is above target past 10%", () => {
    expect(outageVerdict(result(6.6))).toBe(
      "catch-up after a 1 min outage: 6.6 s = 11.0% of the outage (target ≤ 10.0%) ABOVE TARGET",
    );
  });

  it("says when the backlog was not caught up in time, however short the wait", () => {
    expect(outageVerdict(result(3, false))).toBe(
      "catch-up after a 1 min outage: NOT CAUGHT UP within 3.0 s (5.0% of the outage; target ≤ 10.0%)",
    );
  });
});

describe("outageLines", () => {
  it("prints the backlog, the times, the verdict and the load", () => {
    expect(outageLines(result(4.5))).toEqual([
      "outage of 1 min (60.0 s from kill -9 to restart of us-east's replicator), 3 regions writing 100 commits/s each throughout",
      "  backlog at the restart: 6,000 commits in its WAL to ship (3.0 MB held by its slot) + 12,000 from the 2 other regions in Kafka to merge = 18,000 changes",
      "  restarted process active after 2.5 s; every region held every outage commit after 4.5 s",
      "  catch-up after a 1 min outage: 4.5 s = 7.5% of the outage (target ≤ 10.0%) OK",
      "  during the catch-up: restarted replicator 50.0% of one core; machine 90.0% busy, load 2.3 on 2 cores (others' jobs skew figures)",
      "  after the writers stopped: every region equal to the writers' totals within 0.4 s",
    ]);
  });

  it("marks a catch-up that did not finish as a lower bound, and a failed convergence", () => {
    const lines = outageLines({
      ...result(60, false),
      converged: { seconds: 30, complete: false },
    });
    expect(lines[2]).toContain("every outage commit after > 60.0 s");
    expect(lines[5]).toBe(
      "  NOT CONVERGED: some region's totals still differ from the writers' 30 s after the writers stopped",
    );
  });
});
