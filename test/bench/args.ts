import {
  Argument,
  EXIT_USAGE,
  Option,
  createProgram,
  parseArgv,
  wholeNumberFlag,
} from "@georep/command-line";
import type { OutputConfiguration } from "@georep/command-line";

/** Every benchmark by name, in the order `pnpm bench` runs them. */
export const benches = {
  crdt: "packages/crdt/bench/main.ts",
  writes: "test/bench/write-overhead.bench.ts",
  capture: "test/bench/capture.bench.ts",
  apply: "test/bench/apply.bench.ts",
  workers: "test/bench/merge-workers.bench.ts",
  lag: "test/bench/lag.bench.ts",
  backlog: "test/bench/backlog.bench.ts",
  storage: "test/bench/storage.bench.ts",
  signing: "test/bench/signing.bench.ts",
} as const;
export type BenchName = keyof typeof benches;

const names = Object.keys(benches) as BenchName[];

export interface BenchArgs {
  /** The benchmarks to run, in the list's order. */
  readonly names: BenchName[];
  /** `--sweep`: the lag bench's write rates (commits/s per region), ascending. */
  readonly sweep: number[] | undefined;
}

const SWEEP_EXAMPLE = "--sweep 50,100,200,400";
const rateSchema = wholeNumberFlag(1, 100_000, SWEEP_EXAMPLE);

/**
 * A sweep's rates from "50,100,200,400": whole numbers in [1, 100000], ascending and distinct
 * after sorting. Also reads BENCH_SWEEP in the lag bench.
 * @returns the rates, or the message saying what to fix.
 */
export function parseRates(text: string): number[] | string {
  const parts = text.split(",").map((s) => s.trim());
  const rates: number[] = [];
  for (const part of parts) {
    const parsed = part === "" ? undefined : rateSchema.safeParse(part);
    if (parsed?.success !== true)
      return `needs rates in commits/s per region separated by commas, ${parsed?.error.issues[0]?.message ?? `e.g. ${SWEEP_EXAMPLE}`}`;
    rates.push(parsed.data);
  }
  return [...new Set(rates)].sort((a, b) => a - b);
}

/**
 * `pnpm bench [name...] [--sweep rates]`: the benchmarks to run, in the list's order (all of them
 * when none is named; only `lag` when --sweep is given without names). Pure apart from printing
 * help and errors to `output`.
 * @throws CommanderError, already printed: exit code 0 after --help, 2 after a usage error (a
 *   name not in the list, which the message names beside the choices; a flag; a --sweep without
 *   lag or with a rate that is not a whole number).
 */
export function parseBenchArgs(argv: readonly string[], output?: OutputConfiguration): BenchArgs {
  const program = createProgram("pnpm bench", {
    description:
      "Runs benchmarks one after another (they would disturb each other on two cores), each printing its figures and its ratio to the anchor measured in the same run.",
    ...(output === undefined ? {} : { output }),
  })
    .addArgument(new Argument("[name...]", "benchmarks to run (default: all)").choices(names))
    .addOption(
      new Option(
        "--sweep <rates>",
        `lag only: measure georep and native replication at each rate (commits/s per region), print a table and write docs/figures/lag-sweep.svg and .json, e.g. ${SWEEP_EXAMPLE}`,
      ),
    )
    .addHelpText(
      "after",
      `\nBenchmarks:\n${names.map((n) => `  ${n.padEnd(8)} ${benches[n]}`).join("\n")}\n\nExit codes: 0 every benchmark passed; 1 one failed; 2 a usage error.`,
    );
  parseArgv(program, argv);
  const wanted = (program.processedArgs[0] ?? []) as readonly string[];
  const given = program.getOptionValue("sweep") as string | undefined;
  if (given === undefined)
    return {
      names: wanted.length === 0 ? names : names.filter((n) => wanted.includes(n)),
      sweep: undefined,
    };
  const sweep = parseRates(given);
  const fail = (message: string): never =>
    program.error(`error: --sweep ${message}`, {
      exitCode: EXIT_USAGE,
      code: "georep.invalidFlag",
    });
  if (typeof sweep === "string") return fail(`${sweep} (got ${JSON.stringify(given)})`);
  if (wanted.length > 0 && !wanted.includes("lag"))
    return fail(`applies to the lag bench only: pnpm bench lag ${SWEEP_EXAMPLE}`);
  return { names: wanted.length === 0 ? ["lag"] : names.filter((n) => wanted.includes(n)), sweep };
}
