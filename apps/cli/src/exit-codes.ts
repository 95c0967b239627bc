import { EXIT_USAGE } from "@georep/command-line";

/** What `georep` exits with; `georep --help` and docs/operate.md list them. */
export const exitCodes = {
  ok: 0,
  /**
   * `verify` found rows that differ; `repair` left some (writes in flight: run it again);
   * `dlq replay` left rows set aside (their cause is not fixed yet).
   */
  differ: 1,
  /** An unknown command or flag, a missing or invalid flag value, a config file that cannot work. */
  usage: EXIT_USAGE,
  /** A failure while running: a database unreachable, a statement refused. */
  failed: 3,
} as const;

export const exitCodesHelp = `
Exit codes:
  0  done (verify and repair: the regions are identical)
  1  regions differ (verify found rows that differ; repair left some: writes in flight, run it again),
     or dlq replay left rows set aside (their cause is not fixed yet)
  2  usage error: unknown command or flag, missing or invalid flag value, config file that cannot work
  3  failed while running: a database unreachable, a statement refused (the message says which)`;
