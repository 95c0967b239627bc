/**
 * Structural equality for views: plain objects, arrays, bigints and primitives. Prototypes are
 * ignored (a decoded record and a built one are equal); own enumerable keys must match.
 */
export function structuralEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && structuralEqual(ra[k], rb[k]));
}

/** JSON-ish rendering that survives bigints, for failure messages. */
export const show = (x: unknown): string =>
  JSON.stringify(x, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
