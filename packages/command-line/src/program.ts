// Every georep program reads its arguments the same way:
//
//   argv ──commander──▶ command + option strings ──parseFlags (zod)──▶ typed flags ──▶ action
//         │ unknown command or flag,                  │ invalid value
//         │ missing value                             │
//         └──▶ "error: …" and "(… --help shows the usage)" on stderr, exit 2 ◀──┘
//
// --help and --version print to stdout and exit 0.
import { Command, CommanderError } from "commander";
import type { OutputConfiguration } from "commander";

/** A usage error's exit code: an unknown command or flag, a missing or invalid flag value. */
export const EXIT_USAGE = 2;

export interface ProgramOptions {
  readonly description: string;
  /** Adds `-V, --version`, printing this version. */
  readonly version?: string;
  /** Where help and error messages go: stdout and stderr unless given (tests capture them). */
  readonly output?: OutputConfiguration;
}

/**
 * A commander program that throws instead of exiting: a `CommanderError` with exit code 0 after
 * --help or --version, `EXIT_USAGE` after a usage error (already printed). Add commands and
 * options to it, then run it with `parseArgv` or `runProgram`: they point each error to --help.
 */
export function createProgram(name: string, options: ProgramOptions): Command {
  const program = new Command(name).description(options.description);
  if (options.output !== undefined) program.configureOutput(options.output);
  if (options.version !== undefined)
    program.version(options.version, "-V, --version", "print the version and exit");
  // Commands added later inherit this.
  program.exitOverride((error) => {
    throw error.exitCode === 0 ? error : new CommanderError(EXIT_USAGE, error.code, error.message);
  });
  return program;
}

/** After each usage error, `(georep verify --help shows the usage)`: the way to the fix. */
export function pointToHelp(command: Command, path: string): void {
  command.showHelpAfterError(`(${path} --help shows the usage)`);
  for (const sub of command.commands) pointToHelp(sub, `${path} ${sub.name()}`);
}

/** The user's arguments, without the `--` that `pnpm <script> -- …` may pass through first. */
export function userArgs(argv: readonly string[]): string[] {
  return argv[0] === "--" ? argv.slice(1) : [...argv];
}

/**
 * Parses the user's arguments (`process.argv.slice(2)`) with synchronous actions only.
 * @throws CommanderError: exit code 0 after --help or --version, `EXIT_USAGE` after a usage
 *   error; either way the message is already printed.
 */
export function parseArgv(program: Command, argv: readonly string[]): Command {
  pointToHelp(program, program.name());
  return program.parse(userArgs(argv), { from: "user" });
}

/**
 * For scripts: `parse()`'s result, or the process exits with the `CommanderError`'s code (0
 * after --help or --version, `EXIT_USAGE` after a usage error, already printed).
 */
export function parseOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    throw error;
  }
}
