/** The machine a bench ran on, and how busy it was: figures mean little without both. */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/** Fraction of the machine's CPU busy between two proc-cpu.ts `machineCpu()` readings. */
export const busyBetween = (
  a: { busy: number; total: number },
  b: { busy: number; total: number },
): number => (b.busy - a.busy) / Math.max(1, b.total - a.total);

export interface MachineInfo {
  /** Cores this process may use (what `nproc` prints). */
  readonly cores: number;
  /** The first "model name" in /proc/cpuinfo. */
  readonly cpuModel: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = "unknown CPU";
  try {
    const line = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (line?.[1] !== undefined) cpuModel = line[1].trim();
  } catch {
    // not Linux: the model stays unknown
  }
  return { cores: availableParallelism(), cpuModel };
}
