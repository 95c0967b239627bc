// One error family for the CRDT core, shaped like kafkajs' errors: every error has a stable
// `name`, a `retriable` flag a retry helper can read, an optional `cause`, and the context needed
// to act on it. None of these is retriable: retrying the same input gives the same answer.

export type CrdtErrorOptions = { readonly cause?: unknown };

export class CrdtError extends Error {
  override readonly name: string = "CrdtError";
  readonly retriable: boolean = false;

  constructor(message: string, options: CrdtErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** A grow-only counter was asked to shrink. */
export class NegativeIncrementError extends CrdtError {
  override readonly name = "NegativeIncrementError";
  constructor(
    readonly region: string,
    readonly by: bigint,
  ) {
    super(
      `Cannot increment a G-counter by ${by} (region "${region}"): G-counters only grow. ` +
        `Declare the column as a PN-counter if it must go down.`,
    );
  }
}

/** An increment that is not an exact integer (1.5, NaN, or a number past 2^53). */
export class NonIntegerIncrementError extends CrdtError {
  override readonly name = "NonIntegerIncrementError";
  constructor(readonly by: unknown) {
    super(
      `Counter increments must be integers (a bigint or a safe integer number), got ${String(by)}.`,
    );
  }
}

/** A value that PostgreSQL `bigint` cannot hold (counter component, HLC stamp). */
export class BigintRangeError extends CrdtError {
  override readonly name = "BigintRangeError";
  constructor(
    readonly what: string,
    readonly value: bigint | number,
  ) {
    super(`${what} ${value} is out of range: it must fit a PostgreSQL bigint (0 .. 2^63-1).`);
  }
}

/** A region id or column name that cannot be used as a record key. */
export class InvalidIdError extends CrdtError {
  override readonly name = "InvalidIdError";
  constructor(
    readonly kind: "region" | "column" | "camera" | "bucket" | "incarnation",
    readonly id: unknown,
    readonly expected: string,
  ) {
    super(`Invalid ${kind} id ${quote(id)}: expected ${expected}.`);
  }
}

/** A remote HLC stamp too far ahead of our wall clock: accepting it would drag every clock forward. */
export class ClockSkewError extends CrdtError {
  override readonly name = "ClockSkewError";
  readonly skewMs: number;
  constructor(
    readonly remotePhysicalMs: number,
    readonly wallClockMs: number,
    readonly maxForwardSkewMs: number,
  ) {
    const skewMs = remotePhysicalMs - wallClockMs;
    super(
      `Remote clock is ${skewMs} ms ahead of the local wall clock (remote ${remotePhysicalMs} ms, ` +
        `local ${wallClockMs} ms, maxForwardSkewMs ${maxForwardSkewMs}). Fix: synchronise the ` +
        `clocks of both regions (NTP/chrony), or raise maxForwardSkewMs if this skew is expected.`,
    );
    this.skewMs = skewMs;
  }
}

/** Two replicas disagree on a column's counter type (G vs PN): a schema mismatch, not a race. */
export class CounterKindMismatchError extends CrdtError {
  override readonly name = "CounterKindMismatchError";
  constructor(
    readonly column: string,
    readonly left: string,
    readonly right: string,
  ) {
    super(
      `Column "${column}" is a ${left} on one side and a ${right} on the other: the table specs differ.`,
    );
  }
}

/** Malformed encoded input. `path` names the bad field, `expected` says what would be valid. */
export class CodecError extends CrdtError {
  override readonly name: string = "CodecError";
  constructor(
    readonly what: string,
    readonly path: readonly (string | number)[],
    readonly expected: string,
    options: CrdtErrorOptions = {},
  ) {
    super(`Invalid ${what} at ${formatPath(path)}: ${expected}`, options);
  }
}

/** An envelope whose `v` this build does not know; newer writers must not be half-understood. */
export class UnsupportedVersionError extends CodecError {
  override readonly name = "UnsupportedVersionError";
  constructor(
    what: string,
    readonly version: unknown,
    readonly supported: readonly number[],
  ) {
    super(
      what,
      ["v"],
      `unsupported version ${quote(version)}, expected one of ${supported.join(", ")}`,
    );
  }
}

/**
 * A value as it appears in a message. Never throws: hostile input such as `{ "toString": "" }`
 * makes String() throw a TypeError, which would replace the CodecError we mean to raise.
 */
const quote = (x: unknown): string => {
  if (typeof x === "bigint") return x.toString();
  try {
    // JSON.stringify returns undefined for undefined, functions and symbols.
    const json = JSON.stringify(x) as string | undefined;
    return json ?? String(x);
  } catch {
    // Not JSON-able (cycles): the type tag is still a useful message.
    return Object.prototype.toString.call(x);
  }
};

export const formatPath = (path: readonly (string | number)[]): string =>
  path.length === 0
    ? "(root)"
    : path
        .map((p) => (typeof p === "number" ? `[${p}]` : p))
        .join(".")
        .replaceAll(".[", "[");
