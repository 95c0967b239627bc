/** Raised for invalid capture configuration; the message names the field and the fix. */
export class CaptureConfigError extends Error {
  override readonly name = "CaptureConfigError";
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}
