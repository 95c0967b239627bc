/**
 * CPU time from Linux /proc: one process's (utime + stime, and its reaped children's) and the
 * whole machine's. Parsing is pure; the readers are thin wrappers around readFileSync.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly ppid: number;
  /** utime + stime, in clock ticks: every thread of the process, exited threads included. */
  readonly ticks: number;
  /** cutime + cstime, in clock ticks: children that exited and were waited for. */
  readonly childTicks: number;
}

/**
 * One line of /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself
 * hold spaces and parentheses, so the fields after it are counted from the LAST ')'.
 * @throws Error when the text is not a stat line.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open)
    throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  // After ") ": state (field 3) is rest[0], so field n is rest[n - 3].
  const rest = text
    .slice(close + 2)
    .trim()
    .split(" ");
  const field = (n: number): number => {
    const value = Number(rest[n - 3]);
    if (!Number.isSafeInteger(value))
      throw new Error(`/proc/<pid>/stat field ${n} is not a number`);
    return value;
  };
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    ppid: field(4),
    ticks: field(14) + field(15),
    childTicks: field(16) + field(17),
  };
}

/** The process's stat, or undefined when it has exited (or its pid was never there). */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return undefined;
    throw error;
  }
}

let ticksPerSecond: number | undefined;

/** `getconf CLK_TCK` (asked once); 100, the Linux value, if getconf is missing. */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
      ticksPerSecond = Number.isSafeInteger(value) && value > 0 ? value : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Busy and total ticks of the whole machine (every core), from the "cpu" line of /proc/stat. */
export function parseMachineStat(text: string): { busy: number; total: number } {
  const f = (text.split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  // idle and iowait are the 4th and 5th numbers.
  return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
}

export const machineCpu = (): { busy: number; total: number } =>
  parseMachineStat(readFileSync("/proc/stat", "utf8"));

/** The first process whose argv (from /proc/<pid>/cmdline) `match` accepts. */
export function findProcess(match: (argv: readonly string[]) => boolean): number | undefined {
  const pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  for (const entry of pids) {
    try {
      if (match(readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0"))) return Number(entry);
    } catch {
      // gone between the listing and the read
    }
  }
  return undefined;
}
