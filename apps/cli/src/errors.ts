/** A command that cannot run as asked (a bad flag, region or table); the message says the fix. */
export class CliUsageError extends Error {
  override readonly name = "CliUsageError";
  constructor(
    message: string,
    /** The flag at fault, when there is one (e.g. "--limit"). */
    readonly flag?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
