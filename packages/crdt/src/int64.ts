import { BigintRangeError, NonIntegerIncrementError } from "./errors.ts";

/** Largest value of PostgreSQL `bigint`: every component and stamp we ship must fit one. */
export const PG_BIGINT_MAX = 9_223_372_036_854_775_807n;

/**
 * Turns an increment into an exact bigint. Counts are bigints, never floats: floating-point
 * addition is neither exact past 2^53 nor associative ((a + b) + c !== a + (b + c) once rounding
 * kicks in), so replicas summing the same components in different orders could disagree.
 * @throws NonIntegerIncrementError when `by` is not an integer (or not a *safe* one).
 */
export function toExactInteger(by: bigint | number): bigint {
  if (typeof by === "bigint") return by;
  if (!Number.isSafeInteger(by)) throw new NonIntegerIncrementError(by);
  return BigInt(by);
}

/** @throws BigintRangeError when `value` is negative or does not fit PostgreSQL bigint. */
export function assertPgBigint(what: string, value: bigint): bigint {
  if (value < 0n || value > PG_BIGINT_MAX) throw new BigintRangeError(what, value);
  return value;
}
