/**
 * Path of the first own `__proto__` key in a JSON-decoded value, if any. JSON.parse creates such
 * keys as plain data, and zod's records skip them silently; we refuse them instead, since a
 * dropped key is input we did not understand, and merging half of a message is how state is lost.
 */
export function findProtoKey(
  value: unknown,
  path: (string | number)[] = [],
): (string | number)[] | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findProtoKey(value[i], [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (Object.hasOwn(value, "__proto__")) return [...path, "__proto__"];
  for (const key of Object.keys(value)) {
    const found = findProtoKey((value as Record<string, unknown>)[key], [...path, key]);
    if (found) return found;
  }
  return undefined;
}
