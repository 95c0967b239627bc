import { CommanderError } from "commander";
import type { Command } from "commander";
import { UsageError } from "./errors.ts";
import { EXIT_USAGE, pointToHelp, userArgs } from "./program.ts";

export interface RunOptions {
  /** The exit code after an action failed other than with a `UsageError` (its message printed). */
  readonly failureExitCode: number;
}

const withCause = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : "";
  return cause === "" || error.message.includes(cause)
    ? error.message
    : `${error.message}\n  caused by: ${cause}`;
};

/**
 * Parses the user's arguments (`process.argv.slice(2)`) and runs the chosen command's action,
 * then sets `process.exitCode`: 0 after --help or --version; `EXIT_USAGE` after a usage error
 * (commander's, `parseFlags`', or a `UsageError` the action threw); `failureExitCode` after any
 * other error (printed with its cause); otherwise what the action set (0 by default).
 */
export async function runProgram(
  program: Command,
  argv: readonly string[],
  options: RunOptions,
): Promise<void> {
  pointToHelp(program, program.name());
  try {
    await program.parseAsync(userArgs(argv), { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    const output = program.configureOutput();
    const writeErr = (s: string): void => {
      if (output.writeErr === undefined) process.stderr.write(s);
      else output.writeErr(s);
    };
    if (error instanceof UsageError) {
      writeErr(`error: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
    } else {
      writeErr(`${program.name()}: ${withCause(error)}\n`);
      process.exitCode = options.failureExitCode;
    }
  }
}
