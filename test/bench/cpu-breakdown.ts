/**
 * CPU used during the lag bench's window by each process that does replication work: the
 * replicators, the Kafka broker, and PostgreSQL backends grouped by role (cpu-accounting.ts).
 * Samples /proc at the start, every second (backends come and go) and at the end.
 */
import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { basename, join } from "node:path";
import pg from "pg";
import { stackDir } from "@georep/testkit";
import {
  PG_GROUP_LABELS,
  classifyBackend,
  formatCpuTable,
  observe,
  windowTicks,
} from "./cpu-accounting.ts";
import type { BackendRow, CpuWindow, PgGroup, PidTrack, Seen } from "./cpu-accounting.ts";
import { clockTicks, findProcess, machineCpu, readProcStat } from "./proc-cpu.ts";

export { formatCpuTable };

const SAMPLER_APPLICATION = "georep-bench-cpu-sampler";

export interface CpuSamplerOptions {
  /** The bench's database on each cluster; the sampler connects to the cluster's `serverUrl`. */
  readonly databases: readonly { readonly serverUrl: string; readonly name: string }[];
  readonly replicators: readonly { readonly region: string; readonly pid: number }[];
  readonly intervalMs?: number;
}

export interface CpuSampler {
  /** Takes the last sample, disconnects and returns the window's CPU by group. */
  stop(): Promise<CpuWindow>;
}

interface Cluster {
  readonly client: pg.Client;
  readonly postmaster: number;
  readonly tracks: Map<number, PidTrack>;
  childTicks0: number;
  childTicksLast: number;
}

/** The broker the stack started (its pid file), else any `java … kafka.Kafka` on the machine. */
function kafkaBrokerPid(): number | undefined {
  const isBroker = (argv: readonly string[]): boolean =>
    basename(argv[0] ?? "").startsWith("java") && argv.includes("kafka.Kafka");
  const file = join(stackDir(), "kafka", "kafka.pid");
  const pid = existsSync(file) ? Number.parseInt(readFileSync(file, "utf8"), 10) : NaN;
  try {
    if (isBroker(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"))) return pid;
  } catch {
    // no pid file, or its process is gone
  }
  return findProcess(isBroker);
}

async function connect(serverUrl: string): Promise<Cluster> {
  const client = new pg.Client({
    connectionString: serverUrl,
    application_name: SAMPLER_APPLICATION,
  });
  await client.connect();
  const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  const own = readProcStat(rows[0]?.pid ?? -1);
  if (own === undefined) {
    await client.end();
    throw new Error(`cpu sampler: the backends of ${serverUrl} are not visible in /proc`);
  }
  const postmaster = readProcStat(own.ppid);
  return {
    client,
    postmaster: own.ppid,
    tracks: new Map(),
    childTicks0: postmaster?.childTicks ?? 0,
    childTicksLast: postmaster?.childTicks ?? 0,
  };
}

export async function startCpuSampler(options: CpuSamplerOptions): Promise<CpuSampler> {
  const benchDatabases = new Set(options.databases.map((d) => d.name));
  const servers = [...new Set(options.databases.map((d) => d.serverUrl))];
  const clusters = await Promise.all(servers.map(connect));
  const kafka = kafkaBrokerPid();
  const processes = new Map<number, string>([
    ...options.replicators.map((r): [number, string] => [
      r.pid,
      `replicator ${r.region} (capture + merger)`,
    ]),
    ...(kafka === undefined ? [] : [[kafka, "Kafka broker (JVM)"] as [number, string]]),
    [process.pid, "bench process (writer clients, sampler)"],
  ]);
  const processTracks = new Map<number, PidTrack>();
  const groupOf = (row: BackendRow): PgGroup =>
    row.application_name === SAMPLER_APPLICATION
      ? "bench-other"
      : classifyBackend(row, benchDatabases);

  const sampleCluster = async (c: Cluster, atStart: boolean): Promise<void> => {
    const { rows } = await c.client.query<BackendRow>(
      "SELECT pid, backend_type, application_name, datname FROM pg_stat_activity",
    );
    const listed = new Map(rows.map((r) => [r.pid, groupOf(r)]));
    const seen: Seen[] = [];
    for (const pid of new Set([...listed.keys(), ...c.tracks.keys()])) {
      const stat = readProcStat(pid);
      // A stat under another parent is a reused pid, not the backend we tracked.
      if (stat === undefined || stat.ppid !== c.postmaster) continue;
      const group = c.tracks.get(pid)?.group ?? listed.get(pid) ?? "background";
      seen.push({ pid, group, ticks: stat.ticks });
    }
    const postmaster = readProcStat(c.postmaster);
    if (postmaster !== undefined) {
      seen.push({ pid: c.postmaster, group: "background", ticks: postmaster.ticks });
      c.childTicksLast = postmaster.childTicks;
    }
    observe(c.tracks, seen, atStart);
  };
  const sampleProcesses = (atStart: boolean): void => {
    const seen: Seen[] = [];
    for (const [pid, label] of processes) {
      const stat = readProcStat(pid);
      if (stat !== undefined) seen.push({ pid, group: label, ticks: stat.ticks });
    }
    observe(processTracks, seen, atStart);
  };
  const sample = async (atStart: boolean): Promise<void> => {
    sampleProcesses(atStart);
    await Promise.all(clusters.map((c) => sampleCluster(c, atStart)));
  };

  const machine0 = machineCpu();
  const t0 = performance.now();
  await sample(true);
  const failures: string[] = [];
  // One sample at a time: a slow pg_stat_activity query must not pile up behind the timer.
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    inFlight = inFlight.then(() =>
      sample(false).catch((error: unknown) => {
        failures.push((error as Error).message);
      }),
    );
  }, options.intervalMs ?? 1000);
  timer.unref();

  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
      try {
        await sample(false);
      } finally {
        await Promise.all(clusters.map((c) => c.client.end()));
      }
      const wallSeconds = (performance.now() - t0) / 1000;
      const machine1 = machineCpu();
      const hz = clockTicks();
      const processTicks = windowTicks(processTracks, 0).byGroup;
      const pgTicks = new Map<string, number>();
      let unattributed = 0;
      const exited = new Map<string, number>();
      for (const c of clusters) {
        const w = windowTicks(c.tracks, c.childTicksLast - c.childTicks0);
        for (const [group, ticks] of w.byGroup)
          pgTicks.set(group, (pgTicks.get(group) ?? 0) + ticks);
        unattributed += w.unattributed;
        for (const [group, n] of w.exited) exited.set(group, (exited.get(group) ?? 0) + n);
      }
      const rows = [
        ...[...processes.values()].map((label) => ({
          label,
          seconds: (processTicks.get(label) ?? 0) / hz,
        })),
        ...(Object.keys(PG_GROUP_LABELS) as PgGroup[]).map((group) => ({
          label: PG_GROUP_LABELS[group],
          seconds: (pgTicks.get(group) ?? 0) / hz,
        })),
        { label: "PostgreSQL exited backends, unattributed", seconds: unattributed / hz },
      ];
      return {
        wallSeconds,
        rows,
        machineSeconds: (machine1.busy - machine0.busy) / hz,
        cores: cpus().length,
        notes: [
          "capture and merger share each replicator's process (one JS thread): not separated.",
          `PostgreSQL: ${servers.length} clusters summed; tracked backends that exited in the window: ${[...exited].map(([group, n]) => `${n} ${group}`).join(", ") || "none"} (sampled every ${(options.intervalMs ?? 1000) / 1000} s; their CPU after their last sample, and that of backends never sampled, is the "unattributed" row, from the postmasters' reaped-children time).`,
          ...(kafka === undefined ? ["Kafka broker: no kafka.Kafka JVM found, not counted."] : []),
          ...failures.slice(0, 3).map((f) => `a mid-window sample failed: ${f}`),
          "the machine total also holds Redis, the OS and other engineers' jobs.",
        ],
      };
    },
  };
}
