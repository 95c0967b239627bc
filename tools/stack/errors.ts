/** A failure of the local stack, with the fix a person should apply. */
export class StackError extends Error {
  override readonly name = "StackError";
  constructor(
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
