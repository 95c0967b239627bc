/**
 * The outage catch-up bench's settings and figures, pure so they can be tested: reading
 * BENCH_OUTAGE_MINUTES and BENCH_OUTAGE_RATE, the verdict against the target (catch-up at most
 * 10% of the outage), and the printed lines.
 */
import { parseRates } from "./args.ts";

/** The target: catching up takes at most this share of the outage's length. */
export const CATCH_UP_TARGET = 0.1;

export interface OutageSettings {
  /** Outage lengths in minutes, in the order given; empty skips the bench. */
  readonly minutes: number[];
  /** Commits per second per region, before, during and after the outage. */
  readonly rate: number;
}

/**
 * BENCH_OUTAGE_MINUTES ("1,5,10" when unset; fractions such as "0.25" allowed; "0" or "" skips)
 * and BENCH_OUTAGE_RATE (100 when unset; a whole number of commits/s per region).
 * @throws Error naming the variable, the value and what it needs.
 */
export function outageSettings(env: NodeJS.ProcessEnv = process.env): OutageSettings {
  const text = (env["BENCH_OUTAGE_MINUTES"] ?? "1,5,10").trim();
  const minutes =
    text === "" || text === "0" ? [] : text.split(",").map((part) => Number(part.trim()));
  if (minutes.some((m) => !Number.isFinite(m) || m <= 0))
    throw new Error(
      `BENCH_OUTAGE_MINUTES needs outage lengths in minutes above 0 separated by commas, e.g. 1,5,10 or 0.25, or 0 to skip (got ${JSON.stringify(text)})`,
    );
  const rateText = env["BENCH_OUTAGE_RATE"] ?? "100";
  const rates = parseRates(rateText);
  if (typeof rates === "string" || rates.length !== 1)
    throw new Error(
      `BENCH_OUTAGE_RATE needs one whole number of commits/s per region, e.g. 100 (got ${JSON.stringify(rateText)})`,
    );
  return { minutes, rate: rates[0] ?? 100 };
}

/** A wait that ended either when its condition held or when its time limit ran out. */
export interface Timed {
  readonly seconds: number;
  readonly complete: boolean;
}

export interface OutageResult {
  readonly minutes: number;
  /** The region whose replicator was killed, and how many regions there were. */
  readonly victim: string;
  readonly regions: number;
  readonly rate: number;
  /** From the kill to the restart. */
  readonly outageSeconds: number;
  /** Commits the victim's region made during the outage: its capture's WAL backlog. */
  readonly walBacklog: number;
  /** WAL its replication slot held back at the restart. */
  readonly walBytes: number;
  /** Commits the other regions made during the outage: its merger's Kafka backlog. */
  readonly kafkaBacklog: number;
  /** From the restart until the new process logged "replicator active". */
  readonly activeSeconds: number;
  /** From the restart until every region held every commit of the outage. */
  readonly catchUp: Timed;
  /** The restarted process's CPU seconds, start-up included, over the catch-up. */
  readonly catchUpCpuSeconds: number;
  /** Fraction of the machine busy over the catch-up, its 1-minute load and its cores. */
  readonly machineBusy: number;
  readonly load: number;
  readonly cores: number;
  /** From the writers' stop until every region equalled the writers' totals in every bucket. */
  readonly converged: Timed;
}

const count = (n: number): string => Math.round(n).toLocaleString("en-US");
const pct = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

/** Catch-up time as a fraction of the outage. */
export const catchUpShare = (r: Pick<OutageResult, "catchUp" | "outageSeconds">): number =>
  r.catchUp.seconds / r.outageSeconds;

/** One line: the catch-up against the target, or that it did not finish in time. */
export function outageVerdict(r: OutageResult): string {
  const head = `catch-up after a ${r.minutes} min outage:`;
  if (!r.catchUp.complete)
    return `${head} NOT CAUGHT UP within ${r.catchUp.seconds.toFixed(1)} s (${pct(catchUpShare(r))} of the outage; target ≤ ${pct(CATCH_UP_TARGET)})`;
  const share = catchUpShare(r);
  return `${head} ${r.catchUp.seconds.toFixed(1)} s = ${pct(share)} of the outage (target ≤ ${pct(CATCH_UP_TARGET)}) ${share <= CATCH_UP_TARGET ? "OK" : "ABOVE TARGET"}`;
}

export function outageLines(r: OutageResult): string[] {
  const others = r.regions - 1;
  const mb = (r.walBytes / (1024 * 1024)).toFixed(1);
  return [
    `outage of ${r.minutes} min (${r.outageSeconds.toFixed(1)} s from kill -9 to restart of ${r.victim}'s replicator), ${r.regions} regions writing ${r.rate} commits/s each throughout`,
    `  backlog at the restart: ${count(r.walBacklog)} commits in its WAL to ship (${mb} MB held by its slot) + ${count(r.kafkaBacklog)} from the ${others} other regions in Kafka to merge = ${count(r.walBacklog + r.kafkaBacklog)} changes`,
    `  restarted process active after ${r.activeSeconds.toFixed(1)} s; every region held every outage commit after ${r.catchUp.complete ? "" : "> "}${r.catchUp.seconds.toFixed(1)} s`,
    `  ${outageVerdict(r)}`,
    `  during the catch-up: restarted replicator ${pct(r.catchUpCpuSeconds / r.catchUp.seconds)} of one core; machine ${pct(r.machineBusy)} busy, load ${r.load.toFixed(1)} on ${r.cores} cores (others' jobs skew figures)`,
    r.converged.complete
      ? `  after the writers stopped: every region equal to the writers' totals within ${r.converged.seconds.toFixed(1)} s`
      : `  NOT CONVERGED: some region's totals still differ from the writers' ${r.converged.seconds.toFixed(0)} s after the writers stopped`,
  ];
}
