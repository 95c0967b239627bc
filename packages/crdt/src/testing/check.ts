import fc from "fast-check";
import { propertyConfig } from "./env.ts";
import type { PropertyConfig } from "./env.ts";
import { propertyParameters } from "./parameters.ts";

/** A failed property, with fast-check's report and the exact command that replays it. */
export class PropertyFailure extends Error {
  override readonly name = "PropertyFailure";
  constructor(
    readonly property: string,
    readonly seed: number,
    readonly path: string | null,
    readonly replay: string,
    report: string,
  ) {
    super(
      `Property "${property}" failed (seed ${seed}${path === null ? "" : `, path ${path}`}).\nReplay: ${replay}\n\n${report}`,
    );
  }
}

/** The command that replays `testName` at `seed` (and `path`, when known). */
export function replayCommand(testName: string, seed: number, path: string | null): string {
  const pathEnv = path === null ? "" : ` GEOREP_PATH=${path}`;
  return `GEOREP_SEED=${seed}${pathEnv} npx vitest run --project unit packages/crdt -t ${JSON.stringify(testName)}`;
}

/**
 * Runs a property with the seed and run count from the environment.
 * @param testName the full vitest test name, used in the replay command.
 * @throws PropertyFailure naming the seed, the path and the replay command.
 */
export function checkProperty<Ts extends [unknown, ...unknown[]]>(
  testName: string,
  property: fc.IProperty<Ts>,
  config: PropertyConfig = propertyConfig(),
): void {
  const details = fc.check(property, propertyParameters<Ts>(config));
  if (!details.failed) return;
  const path = details.counterexamplePath;
  throw new PropertyFailure(
    testName,
    details.seed,
    path,
    replayCommand(testName, details.seed, path),
    fc.defaultReportMessage(details) ?? "",
  );
}
