/**
 * The pure half of the lag bench's CPU breakdown: which group a PostgreSQL backend belongs to,
 * how much of each tracked process's CPU fell in the window, and the table per replicated change.
 */

/** The application_name of the lag bench's writer pool, so its sessions (and triggers) are told apart. */
export const WRITER_APPLICATION = "georep-bench-writer";

export type PgGroup = "writer" | "walsender" | "merge" | "bench-other" | "background" | "other-db";

export const PG_GROUP_LABELS: Readonly<Record<PgGroup, string>> = {
  writer: "PostgreSQL writer sessions (writes + triggers)",
  walsender: "PostgreSQL walsenders (logical decoding)",
  merge: "PostgreSQL merge sessions",
  "bench-other": "PostgreSQL other sessions on bench DBs",
  background: "PostgreSQL background (postmaster, ckpt, wal, autovac)",
  "other-db": "PostgreSQL sessions on other DBs (not this bench)",
};

/** The pg_stat_activity columns the grouping needs. */
export interface BackendRow {
  readonly pid: number;
  readonly backend_type: string | null;
  readonly application_name: string | null;
  readonly datname: string | null;
}

/**
 * Sessions on the bench's own databases by role; server processes (checkpointer, walwriter,
 * autovacuum, …) as background; everything on other databases apart, since other engineers'
 * tests share the clusters.
 */
export function classifyBackend(row: BackendRow, benchDatabases: ReadonlySet<string>): PgGroup {
  if (row.backend_type !== "client backend" && row.backend_type !== "walsender")
    return "background";
  if (row.datname === null || !benchDatabases.has(row.datname)) return "other-db";
  if (row.backend_type === "walsender") return "walsender";
  const app = row.application_name ?? "";
  if (app.startsWith("georep-merger-")) return "merge";
  if (app === WRITER_APPLICATION) return "writer";
  return "bench-other";
}

/** One process followed through the window's samples. */
export interface PidTrack {
  readonly group: string;
  /** Ticks at the window's start; 0 for a process born after it (all its CPU is in the window). */
  readonly base: number;
  /** Ticks at the latest sample that found it alive. */
  last: number;
  alive: boolean;
}

export interface Seen {
  readonly pid: number;
  readonly group: string;
  readonly ticks: number;
}

/**
 * Folds one sample into `tracks`: `seen` holds every process found alive now (tracked ones
 * included); a tracked process missing from it has exited.
 */
export function observe(
  tracks: Map<number, PidTrack>,
  seen: readonly Seen[],
  atStart: boolean,
): void {
  const present = new Set<number>();
  for (const s of seen) {
    present.add(s.pid);
    const track = tracks.get(s.pid);
    if (track === undefined)
      tracks.set(s.pid, {
        group: s.group,
        base: atStart ? s.ticks : 0,
        last: s.ticks,
        alive: true,
      });
    else {
      track.last = s.ticks;
      track.alive = true;
    }
  }
  for (const [pid, track] of tracks) if (!present.has(pid)) track.alive = false;
}

export interface WindowTicks {
  /** Ticks each group used between the window's start and the last sample of each process. */
  readonly byGroup: ReadonlyMap<string, number>;
  /**
   * CPU of processes that exited in the window after their last sample, or were never sampled:
   * the parent's growth in reaped-children ticks (which counts a child's whole life) minus the
   * lifetime ticks already seen of the tracked ones that exited.
   */
  readonly unattributed: number;
  /** Tracked processes that exited, by group. */
  readonly exited: ReadonlyMap<string, number>;
}

export function windowTicks(
  tracks: ReadonlyMap<number, PidTrack>,
  reapedChildTicksGrowth: number,
): WindowTicks {
  const byGroup = new Map<string, number>();
  let seenOfExited = 0;
  const exited = new Map<string, number>();
  for (const t of tracks.values()) {
    byGroup.set(t.group, (byGroup.get(t.group) ?? 0) + t.last - t.base);
    if (!t.alive) {
      seenOfExited += t.last;
      exited.set(t.group, (exited.get(t.group) ?? 0) + 1);
    }
  }
  return { byGroup, unattributed: Math.max(0, reapedChildTicksGrowth - seenOfExited), exited };
}

/** CPU microseconds per change; NaN when there were no changes. */
export const microsPer = (cpuSeconds: number, changes: number): number =>
  changes > 0 ? (cpuSeconds * 1e6) / changes : NaN;

export interface CpuRow {
  readonly label: string;
  readonly seconds: number;
}

export interface CpuWindow {
  /** Wall-clock seconds between the first and the last sample. */
  readonly wallSeconds: number;
  readonly rows: readonly CpuRow[];
  /** Machine-wide busy CPU seconds (every process, every core), from /proc/stat. */
  readonly machineSeconds: number;
  readonly cores: number;
  readonly notes: readonly string[];
}

/**
 * The table: CPU seconds, % of one core and µs per merged row slice / per source commit for
 * each row, their sum, and the machine's total for comparison.
 */
export function formatCpuTable(
  w: CpuWindow,
  changes: { readonly slices: number; readonly commits: number },
): string {
  const width = Math.max(34, ...w.rows.map((r) => r.label.length));
  const us = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : "n/a");
  const line = (label: string, s: number): string =>
    `    ${label.padEnd(width)} ${s.toFixed(2).padStart(7)} ${(((s / w.wallSeconds) * 100).toFixed(0) + "%").padStart(7)} ${us(microsPer(s, changes.slices)).padStart(9)} ${us(microsPer(s, changes.commits)).padStart(10)}`;
  const sum = w.rows.reduce((a, r) => a + r.seconds, 0);
  return [
    `  CPU in the window (${w.wallSeconds.toFixed(1)} s wall; ${changes.slices} merged row slices, ${changes.commits} source commits):`,
    `    ${"process group".padEnd(width)} ${"CPU s".padStart(7)} ${"% core".padStart(7)} ${"µs/slice".padStart(9)} ${"µs/commit".padStart(10)}`,
    ...w.rows.map((r) => line(r.label, r.seconds)),
    line("sum of the rows above", sum),
    line(`machine total (/proc/stat, ${w.cores} cores, everyone)`, w.machineSeconds),
    ...w.notes.map((n) => `    ${n}`),
  ].join("\n");
}
