import type fc from "fast-check";
import type { PropertyConfig } from "./env.ts";

/** fast-check's parameters for a property run with `config` (seed, runs, path, shrinking). */
export function propertyParameters<Ts>(config: PropertyConfig): fc.Parameters<Ts> {
  return {
    seed: config.seed,
    numRuns: config.numRuns,
    endOnFailure: !config.shrink,
    ...(config.path === undefined ? {} : { path: config.path }),
  };
}
