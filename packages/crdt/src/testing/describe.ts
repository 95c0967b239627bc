import { describe, it } from "vitest";
import { checkProperty } from "./check.ts";
import { lawProperties } from "./laws.ts";
import type { CrdtLaws } from "./crdt-laws.ts";

/**
 * Registers one vitest test per law for `laws`, under `describe("<name> laws")`. Each test runs
 * with GEOREP_SEED / GEOREP_RUNS and, on failure, prints the seed and the replay command.
 */
export function describeLaws<S, V, Op>(laws: CrdtLaws<S, V, Op>): void {
  const suite = `${laws.name} laws`;
  describe(suite, () => {
    for (const [law, property] of lawProperties(laws)) {
      it(law, () => {
        checkProperty(`${suite} ${law}`, property);
      });
    }
  });
}
