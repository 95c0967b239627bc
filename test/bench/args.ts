import { Argument, createProgram, parseArgv } from "@georep/command-line";
import type { OutputConfiguration } from "@georep/command-line";

/** Every benchmark by name, in the order `pnpm bench` runs them. */
export const benches = {
  crdt: "packages/crdt/bench/main.ts",
  writes: "test/bench/write-overhead.bench.ts",
  capture: "test/bench/capture.bench.ts",
  apply: "test/bench/apply.bench.ts",
  lag: "test/bench/lag.bench.ts",
  backlog: "test/bench/backlog.bench.ts",
} as const;
export type BenchName = keyof typeof benches;

const names = Object.keys(benches) as BenchName[];

/**
 * `pnpm bench [name...]`: the benchmarks to run, in the list's order (all of them when none is
 * named). Pure apart from printing help and errors to `output`.
 * @throws CommanderError, already printed: exit code 0 after --help, 2 after a usage error (a
 *   name not in the list, which the message names beside the choices; a flag).
 */
export function parseBenchArgs(argv: readonly string[], output?: OutputConfiguration): BenchName[] {
  const program = createProgram("pnpm bench", {
    description:
      "Runs benchmarks one after another (they would disturb each other on two cores), each printing its figures and its ratio to the anchor measured in the same run.",
    ...(output === undefined ? {} : { output }),
  })
    .addArgument(new Argument("[name...]", "benchmarks to run (default: all)").choices(names))
    .addHelpText(
      "after",
      `\nBenchmarks:\n${names.map((n) => `  ${n.padEnd(8)} ${benches[n]}`).join("\n")}\n\nExit codes: 0 every benchmark passed; 1 one failed; 2 a usage error.`,
    );
  parseArgv(program, argv);
  const wanted = (program.processedArgs[0] ?? []) as readonly string[];
  return wanted.length === 0 ? names : names.filter((n) => wanted.includes(n));
}
