import { CrdtError } from "../errors.ts";

/**
 * Property-run settings, read from the environment so any failure can be replayed exactly. This
 * is georep's one reader of GEOREP_SEED, _RUNS, _PATH, _NO_SHRINK and _BUDGET_MS: the CRDT laws,
 * properties run against a real database and the seeded drills all take their settings from it.
 */
export type PropertyConfig = {
  /** GEOREP_SEED; a fresh random seed when unset (print it, so a failure can be replayed). */
  readonly seed: number;
  /** GEOREP_RUNS; DEFAULT_RUNS when unset, or the count a costly property asks for. */
  readonly numRuns: number;
  /** GEOREP_PATH; fast-check's counterexample path, to jump straight to a known failure. */
  readonly path?: string;
  /** False when GEOREP_NO_SHRINK=1: report the first counterexample as found, unshrunk. */
  readonly shrink: boolean;
  /** GEOREP_BUDGET_MS: a database property's time budget, for a soak run with a longer timeout. */
  readonly budgetMs?: number;
};

/** Runs of an in-memory property when GEOREP_RUNS is unset. A soak run sets GEOREP_RUNS higher. */
export const DEFAULT_RUNS = 200;

function intFromEnv(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const n = Number(value);
  if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n))
    throw new CrdtError(`${name} (${value}) must be an integer, e.g. ${name}=42.`);
  return n;
}

/**
 * @param runs runs when GEOREP_RUNS is unset: DEFAULT_RUNS, or fewer for a property whose every
 *   run costs database round trips. GEOREP_RUNS, when set, wins over both.
 * @throws CrdtError naming the variable when GEOREP_SEED or GEOREP_RUNS is not an integer,
 *   GEOREP_RUNS or GEOREP_BUDGET_MS is below 1, or GEOREP_NO_SHRINK is neither 0 nor 1.
 */
export function propertyConfig(
  env: NodeJS.ProcessEnv = process.env,
  runs: number = DEFAULT_RUNS,
): PropertyConfig {
  const seed =
    intFromEnv("GEOREP_SEED", env["GEOREP_SEED"]) ??
    (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
  const numRuns = intFromEnv("GEOREP_RUNS", env["GEOREP_RUNS"]) ?? runs;
  if (numRuns < 1) throw new CrdtError(`GEOREP_RUNS (${numRuns}) must be at least 1.`);
  const noShrink = env["GEOREP_NO_SHRINK"] ?? "";
  if (!["", "0", "1"].includes(noShrink))
    throw new CrdtError(`GEOREP_NO_SHRINK (${noShrink}) must be 1 (report unshrunk) or 0.`);
  const shrink = noShrink !== "1";
  const budgetMs = intFromEnv("GEOREP_BUDGET_MS", env["GEOREP_BUDGET_MS"]);
  if (budgetMs !== undefined && budgetMs < 1)
    throw new CrdtError(`GEOREP_BUDGET_MS (${budgetMs}) must be at least 1.`);
  const path = env["GEOREP_PATH"];
  return {
    seed,
    numRuns,
    shrink,
    ...(path === undefined || path === "" ? {} : { path }),
    ...(budgetMs === undefined ? {} : { budgetMs }),
  };
}
