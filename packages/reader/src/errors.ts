import { sqlStateOf } from "@georep/schema";
import type { Lsn } from "./postgres/lsn.ts";
import { formatLsn } from "./postgres/lsn.ts";

export interface ReaderErrorContext {
  readonly slot: string;
  readonly lsn?: Lsn;
}

/** A reader failure with the slot, position and PostgreSQL SQLSTATE when the server gave one. */
export class ReaderError extends Error {
  override readonly name: string = "ReaderError";
  readonly slot: string;
  readonly lsn: Lsn | undefined;
  readonly sqlState: string | undefined;

  constructor(message: string, context: ReaderErrorContext, options: { cause?: unknown } = {}) {
    const at = context.lsn === undefined ? "" : ` at ${formatLsn(context.lsn)}`;
    super(`${message} (slot ${context.slot}${at})`, options);
    this.slot = context.slot;
    this.lsn = context.lsn;
    this.sqlState = sqlStateOf(options.cause);
  }
}

/** The slot fell behind max_slot_wal_keep_size and lost WAL: it must be recreated and resynced. */
export class SlotInvalidatedError extends ReaderError {
  override readonly name = "SlotInvalidatedError";
}

/**
 * PostgreSQL reports an invalidated slot as SQLSTATE 55000 with this text. 55000 alone is not
 * enough: "replication slot is active for PID" shares it and must only be retried.
 */
export function isSlotInvalidated(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return (
    /can no longer get changes from replication slot/i.test(message) ||
    /has been invalidated/i.test(message)
  );
}
