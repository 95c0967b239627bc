import { describe, expect, it } from "vitest";
import {
  WRITER_APPLICATION,
  classifyBackend,
  formatCpuTable,
  microsPer,
  observe,
  windowTicks,
} from "./cpu-accounting.ts";
import type { BackendRow, PidTrack } from "./cpu-accounting.ts";
import { formatMergeTimeSplit, windowHistogram } from "./merge-time-split.ts";
import { parseMachineStat, parseProcStat } from "./proc-cpu.ts";

// 52 fields, as Linux 5.x prints them; utime 1500, stime 250, cutime 70, cstime 30.
const statLine = (comm: string): string =>
  `4242 (${comm}) S 17 4242 4242 0 -1 4194560 9000 0 0 0 1500 250 70 30 20 0 11 0 123456 1000000 5000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0`;

describe("parseProcStat", () => {
  it("reads ppid, utime + stime and the reaped children's time", () => {
    expect(parseProcStat(statLine("postgres"))).toEqual({
      pid: 4242,
      comm: "postgres",
      ppid: 17,
      ticks: 1750,
      childTicks: 100,
    });
  });

  it("counts fields from the last ')' when the command name holds spaces and parentheses", () => {
    const stat = parseProcStat(statLine("we(ird) ) name"));
    expect(stat.comm).toBe("we(ird) ) name");
    expect(stat.ppid).toBe(17);
    expect(stat.ticks).toBe(1750);
  });

  it("refuses text that is not a stat line", () => {
    expect(() => parseProcStat("")).toThrow(/not a \/proc/);
    expect(() => parseProcStat("1 (x) S")).toThrow(/field 4 is not a number/);
  });
});

describe("parseMachineStat", () => {
  it("counts everything but idle and iowait as busy", () => {
    expect(parseMachineStat("cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 1 2 3 4\n")).toEqual({
      busy: 160,
      total: 980,
    });
  });
});

describe("classifyBackend", () => {
  const ours = new Set(["bench_lag_1"]);
  const row = (r: Partial<BackendRow>): BackendRow => ({
    pid: 1,
    backend_type: "client backend",
    application_name: "",
    datname: "bench_lag_1",
    ...r,
  });

  it("groups the bench database's sessions by role", () => {
    expect(classifyBackend(row({ backend_type: "walsender" }), ours)).toBe("walsender");
    expect(classifyBackend(row({ application_name: "georep-merger-lagx-us-east" }), ours)).toBe(
      "merge",
    );
    expect(classifyBackend(row({ application_name: WRITER_APPLICATION }), ours)).toBe("writer");
    expect(classifyBackend(row({ application_name: "georep-leader" }), ours)).toBe("bench-other");
  });

  it("puts server processes in background, even when they work on a bench database", () => {
    for (const type of ["checkpointer", "walwriter", "autovacuum launcher", "background writer"])
      expect(classifyBackend(row({ backend_type: type, datname: null }), ours)).toBe("background");
    expect(classifyBackend(row({ backend_type: "autovacuum worker" }), ours)).toBe("background");
  });

  it("keeps sessions on other databases apart, whatever their name", () => {
    const other = { datname: "someone_elses_test" };
    expect(classifyBackend(row({ ...other, application_name: "georep-merger-x" }), ours)).toBe(
      "other-db",
    );
    expect(classifyBackend(row({ ...other, backend_type: "walsender" }), ours)).toBe("other-db");
    expect(classifyBackend(row({ datname: null }), ours)).toBe("other-db");
  });
});

describe("observe and windowTicks", () => {
  it("charges each group the ticks of its processes within the window", () => {
    const tracks = new Map<number, PidTrack>();
    observe(
      tracks,
      [
        { pid: 10, group: "merge", ticks: 500 },
        { pid: 11, group: "writer", ticks: 40 },
        { pid: 12, group: "writer", ticks: 7 },
      ],
      true,
    );
    // Mid-window: 12 has exited, 13 was born.
    observe(
      tracks,
      [
        { pid: 10, group: "merge", ticks: 520 },
        { pid: 11, group: "writer", ticks: 60 },
        { pid: 13, group: "merge", ticks: 3 },
      ],
      false,
    );
    observe(
      tracks,
      [
        { pid: 10, group: "merge", ticks: 530 },
        { pid: 11, group: "writer", ticks: 90 },
        { pid: 13, group: "merge", ticks: 9 },
      ],
      false,
    );
    // The postmaster's reaped-children time grew by 14: 12's whole life (the 7 ticks seen, 2
    // more after its last sample) and a backend born and gone between samples (5).
    const w = windowTicks(tracks, 14);
    expect(w.byGroup).toEqual(
      new Map([
        ["merge", 30 + 9], // present at both ends + born in the window (all of its CPU)
        ["writer", 50 + 0], // present at both ends + exited (nothing seen after the start)
      ]),
    );
    expect(w.exited).toEqual(new Map([["writer", 1]]));
    expect(w.unattributed).toBe(2 + 5);
  });

  it("never reports negative unattributed time", () => {
    const tracks = new Map<number, PidTrack>();
    observe(tracks, [{ pid: 1, group: "g", ticks: 9 }], true);
    observe(tracks, [], false);
    expect(windowTicks(tracks, 0).unattributed).toBe(0);
  });
});

describe("per-change arithmetic", () => {
  it("is CPU microseconds per change, n/a without changes", () => {
    expect(microsPer(1.5, 3000)).toBe(500);
    expect(microsPer(1.5, 0)).toBeNaN();
  });

  it("prints each row, their sum and the machine's total", () => {
    const table = formatCpuTable(
      {
        wallSeconds: 10,
        rows: [
          { label: "replicator a (capture + merger)", seconds: 2 },
          { label: "Kafka broker (JVM)", seconds: 1 },
        ],
        machineSeconds: 5,
        cores: 2,
        notes: ["a note"],
      },
      { slices: 2000, commits: 1000 },
    );
    const line = (label: string): string =>
      (table.split("\n").find((l) => l.includes(label)) ?? "").replace(/\s+/g, " ").trim();
    expect(line("replicator a")).toBe("replicator a (capture + merger) 2.00 20% 1000 2000");
    expect(line("sum of the rows")).toBe("sum of the rows above 3.00 30% 1500 3000");
    expect(line("machine total")).toMatch(/ 5\.00 50% 2500 5000$/);
    expect(table).toContain("a note");
  });
});

describe("merge time split", () => {
  const histogram = (name: string, counts: number[], sum: number): string =>
    [
      ...[0.01, 0.1, Infinity].map(
        (le, i) => `${name}_bucket{le="${le === Infinity ? "+Inf" : le}"} ${counts[i]}`,
      ),
      `${name}_sum ${sum}`,
      `${name}_count ${counts[2]}`,
    ].join("\n");

  it("merges the window (after − before) across processes", () => {
    const name = "georep_merge_sql_seconds";
    const before = [histogram(name, [1, 1, 1], 0.005), histogram(name, [0, 0, 0], 0)];
    const after = [histogram(name, [5, 6, 6], 0.105), histogram(name, [4, 4, 5], 0.3)];
    const h = windowHistogram(before, after, name);
    expect(h?.count).toBe(10);
    expect(h?.mean).toBeCloseTo(0.04);
    expect(h?.p50).toBeCloseTo(0.00625); // rank 5 of the 8 under 10 ms
  });

  it("prints n/a for a histogram no merger exposes yet", () => {
    const text = histogram("georep_merge_sql_seconds", [2, 2, 2], 0.01);
    expect(windowHistogram([""], [text], "georep_merge_lock_wait_seconds")).toBeUndefined();
    const out = formatMergeTimeSplit([""], [text]);
    expect(out).toMatch(/lock wait .* n\/a \(georep_merge_lock_wait_seconds not exposed\)/);
    expect(out).toMatch(/SQL round trip .* n +2 +mean +5\.0 ms/);
  });
});
