/**
 * A command that cannot run as asked, found after parsing (a region the configs do not list, two
 * flags that contradict each other); the message names the flag and the fix. Exits 2.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    message: string,
    /** The flag at fault, when there is one (e.g. "--region"). */
    readonly flag?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
