export interface PropertySettings {
  /** fast-check `numRuns`: GEOREP_RUNS, default 100. */
  numRuns: number;
  /** fast-check `seed`: GEOREP_SEED when set, to replay a failure; otherwise fast-check picks one. */
  seed?: number;
}

function integer(name: string, raw: string, min: number): number {
  if (!/^-?\d+$/.test(raw.trim()))
    throw new Error(`${name}='${raw}' is not an integer (e.g. ${name}=42).`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`${name}='${raw}' must be a safe integer ≥ ${min}.`);
  }
  return value;
}

/**
 * fast-check parameters from the environment, so a failing property can be replayed with
 * `GEOREP_SEED=<seed printed by fast-check>` and soaked with `GEOREP_RUNS=10000`.
 * @throws Error naming the variable when GEOREP_SEED or GEOREP_RUNS is not an integer.
 */
export function propertySettings(
  env: NodeJS.ProcessEnv = process.env,
  defaultRuns = 100,
): PropertySettings {
  const runs = env["GEOREP_RUNS"];
  const seed = env["GEOREP_SEED"];
  const settings: PropertySettings = {
    numRuns: runs === undefined || runs === "" ? defaultRuns : integer("GEOREP_RUNS", runs, 1),
  };
  if (seed !== undefined && seed !== "") settings.seed = integer("GEOREP_SEED", seed, -(2 ** 31));
  return settings;
}
