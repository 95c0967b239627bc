import { isColumnName, isRegionId } from "./ids.ts";
import { PG_BIGINT_MAX } from "./int64.ts";

// Scalar checks of the codec fast path (codec-fast.ts), mirroring the zod schemas exactly.

export type Obj = Record<string, unknown>;
const DECIMAL = /^(0|[1-9][0-9]{0,18})$/;

// Envelopes name the same few regions and columns over and over: remember the keys already
// validated (bounded, so hostile input cannot grow it) instead of re-running the regexes.
function validatedKeys(valid: (k: unknown) => boolean): (key: unknown) => key is string {
  const seen = new Set<unknown>();
  return (key): key is string => {
    if (seen.has(key)) return true;
    if (!valid(key)) return false;
    if (seen.size >= 4096) seen.clear();
    seen.add(key);
    return true;
  };
}
export const regionOk = validatedKeys(isRegionId);
export const columnOk = validatedKeys(isColumnName);

export const isObj = (x: unknown): x is Obj =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** True when every key of `o` is in `allowed`, and the required ones are present. */
export function hasShape(o: Obj, allowed: readonly string[], required: number): boolean {
  let n = 0;
  for (const k in o) {
    const i = allowed.indexOf(k);
    if (i < 0 || o[k] === undefined) return false;
    if (i < required) n++;
  }
  return n === required;
}

export function decimal(x: unknown): bigint | undefined {
  if (typeof x !== "string" || !DECIMAL.test(x)) return undefined;
  const v = BigInt(x);
  return v <= PG_BIGINT_MAX ? v : undefined;
}
