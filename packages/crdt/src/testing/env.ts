import { CrdtError } from "../errors.ts";

/** Property-run settings, read from the environment so any failure can be replayed exactly. */
export type PropertyConfig = {
  /** GEOREP_SEED; a fresh random seed when unset (printed on failure). */
  readonly seed: number;
  /** GEOREP_RUNS; 200 by default (unit). A soak run sets it higher. */
  readonly numRuns: number;
  /** GEOREP_PATH; fast-check's counterexample path, to jump straight to a known failure. */
  readonly path?: string;
};

export const DEFAULT_RUNS = 200;

function intFromEnv(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n))
    throw new CrdtError(`${name} (${value}) must be an integer, e.g. ${name}=42.`);
  return n;
}

/** @throws CrdtError when GEOREP_SEED or GEOREP_RUNS is not an integer. */
export function propertyConfig(env: NodeJS.ProcessEnv = process.env): PropertyConfig {
  const seed =
    intFromEnv("GEOREP_SEED", env["GEOREP_SEED"]) ??
    (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
  const numRuns = intFromEnv("GEOREP_RUNS", env["GEOREP_RUNS"]) ?? DEFAULT_RUNS;
  if (numRuns < 1) throw new CrdtError(`GEOREP_RUNS (${numRuns}) must be at least 1.`);
  const path = env["GEOREP_PATH"];
  return path === undefined || path === "" ? { seed, numRuns } : { seed, numRuns, path };
}
