import fc from "fast-check";
import type { PropertyConfig } from "./env.ts";
import { propertyParameters } from "./parameters.ts";

/**
 * fast-check parameters for a property whose every run costs database round trips. Shrinking
 * one counterexample of such a property can take longer than the test may run, and a test cut
 * off by its timeout reports no counterexample at all. Past `budgetMs` fast-check stops and
 * reports the smallest counterexample found so far; a property still generating runs then
 * fails as interrupted rather than passing on fewer runs than asked.
 * An interrupted run keeps going in the background (fast-check cannot stop a promise) while
 * the report is made; that only happens once the property has already failed or run out of time.
 * @param budgetMs keep it below the test's timeout, with room for the test's own set-up; the
 *   default suits the integration project's 180 s (vitest.config.ts). GEOREP_BUDGET_MS wins,
 *   for a soak run given a longer timeout.
 */
export function databasePropertyParameters<Ts>(
  config: PropertyConfig,
  budgetMs = 150_000,
): fc.Parameters<Ts> {
  const budget = config.budgetMs ?? budgetMs;
  return {
    ...propertyParameters<Ts>(config),
    // The plugin never looks at the values; fast-check types it Plugin<unknown> all the same.
    plugins: [fc.interruptAfterTimeLimit(budget, { failOnInterrupt: true }) as fc.Plugin<Ts>],
  };
}
