import { sqlStateOf } from "./sqlstate.ts";

/** A table spec or schema config that cannot be compiled; the message names the field and the fix. */
export class SpecError extends Error {
  override readonly name = "SpecError";
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The installer failed against PostgreSQL; carries the SQLSTATE when the server gave one. */
export class InstallError extends Error {
  override readonly name = "InstallError";
  readonly sqlState: string | undefined;
  constructor(message: string, options: { cause?: unknown; step: string }) {
    super(`${message} (step: ${options.step})`, { cause: options.cause });
    this.sqlState = sqlStateOf(options.cause);
  }
}
