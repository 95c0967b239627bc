export { createProgram, EXIT_USAGE, parseArgv, parseOrExit } from "./program.ts";
export type { ProgramOptions } from "./program.ts";
export { parseFlags, wholeNumberFlag } from "./flags.ts";
export { UsageError } from "./errors.ts";
export { runProgram } from "./run.ts";
export type { RunOptions } from "./run.ts";
export { Argument, CommanderError, Option } from "commander";
export type { Command, OutputConfiguration } from "commander";
