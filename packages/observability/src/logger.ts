import { pino } from "pino";
import type { Logger as PinoLogger } from "pino";

/** The logger every component takes by injection; pino's, narrowed to what we use. */
export type Logger = Pick<PinoLogger, "debug" | "info" | "warn" | "error" | "child">;

export interface LoggerOptions {
  readonly name: string;
  readonly level?: string;
  /** Where to write; defaults to stdout. Tests pass a sink to assert on log lines. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? process.env["GEOREP_LOG_LEVEL"] ?? "info";
  return options.destination === undefined
    ? pino({ name: options.name, level })
    : pino({ name: options.name, level }, options.destination);
}

/** A logger that drops everything: for unit tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
