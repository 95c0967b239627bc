import { logLevel } from "kafkajs";
import type { LogEntry, logCreator } from "kafkajs";
import type { Logger } from "@georep/observability";

/**
 * Routes kafkajs' own log lines into our pino logger (child `kafka`), with the kafkajs namespace
 * and fields as structured data. kafkajs logs at ERROR for conditions it retries by itself
 * (leader moves, broker restarts): those are downgraded to warn to keep alerts meaningful.
 */
export function pinoLogCreator(logger: Logger): logCreator {
  const log = logger.child({ component: "kafkajs" });
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const data: Record<string, unknown> = { namespace };
      for (const [k, v] of Object.entries(entry))
        if (k !== "message" && k !== "timestamp" && k !== "logger") data[k] = v;
      const message = entry.message;
      switch (level) {
        case logLevel.ERROR:
        case logLevel.WARN:
          log.warn(data, message);
          return;
        case logLevel.INFO:
          log.info(data, message);
          return;
        case logLevel.DEBUG:
        case logLevel.NOTHING:
          log.debug(data, message);
          return;
      }
    };
}

/** Maps a pino level name to the kafkajs level that produces at most that much output. */
export function kafkaLogLevel(level: string | undefined): logLevel {
  switch (level) {
    case "debug":
    case "trace":
      return logLevel.DEBUG;
    case "info":
      return logLevel.INFO;
    case "silent":
      return logLevel.NOTHING;
    default:
      return logLevel.WARN;
  }
}
