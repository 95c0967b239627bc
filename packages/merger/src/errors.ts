import { sqlStateOf } from "@georep/schema";

/** Where in Kafka a failing batch came from. */
export interface BatchContext {
  readonly topic: string;
  readonly partition: number;
  /** First and last offset of the batch, as decimal strings. */
  readonly firstOffset?: string;
  readonly lastOffset?: string;
}

const RETRIABLE_SQLSTATES = new Set(["40P01", "40001"]);

/** A deadlock or serialization failure: the whole batch transaction may simply be run again. */
export function isRetriableSqlState(state: string | undefined): boolean {
  return state !== undefined && RETRIABLE_SQLSTATES.has(state);
}

/**
 * A batch could not be merged into PostgreSQL. `retriable` follows kafkajs' convention: true when
 * running the same batch again may succeed (deadlock, serialization failure, lost connection).
 */
export class MergeError extends Error {
  override readonly name = "MergeError";
  readonly sqlState: string | undefined;
  readonly retriable: boolean;
  constructor(
    message: string,
    readonly context: Partial<BatchContext> & { readonly step?: string },
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.sqlState = sqlStateOf(options.cause);
    this.retriable =
      options.retriable ?? (isRetriableSqlState(this.sqlState) || isConnectionError(options.cause));
  }
}

/** Invalid merger options; the message names the field and the fix. */
export class MergerConfigError extends Error {
  override readonly name = "MergerConfigError";
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A data error (class 22) or integrity violation (class 23): the input, not the system, is wrong. */
export function isDataError(state: string | undefined): boolean {
  return state !== undefined && (state.startsWith("22") || state.startsWith("23"));
}

function isConnectionError(error: unknown): boolean {
  const state = sqlStateOf(error);
  if (state !== undefined) return state.startsWith("08") || state.startsWith("57P");
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    code === "ECONNRESET" ||
    code === "ECONNREFUSED" ||
    code === "EPIPE" ||
    /Connection terminated/i.test(String((error as Error | undefined)?.message))
  );
}
