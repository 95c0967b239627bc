import { CommanderError } from "commander";
import type { OutputConfiguration } from "commander";

export interface CapturedParse<T> {
  /** What the parser returned; absent when it threw a CommanderError. */
  readonly value?: T;
  /** The CommanderError's exit code: 0 after --help or --version, 2 after a usage error. */
  readonly code?: number;
  /** What the program printed to stdout (help, version) and to stderr (errors). */
  readonly out: string;
  readonly err: string;
}

/**
 * Runs a program's argument parser (one that takes an `OutputConfiguration`, like
 * `parseStackArgs(argv, output)`) with its printing captured, for tests of flag errors.
 */
export function captureParse<T>(parse: (output: OutputConfiguration) => T): CapturedParse<T> {
  let out = "";
  let err = "";
  const output: OutputConfiguration = {
    writeOut: (s) => (out += s),
    writeErr: (s) => (err += s),
  };
  try {
    const value = parse(output);
    return { value, out, err };
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return { code: error.exitCode, out, err };
  }
}
