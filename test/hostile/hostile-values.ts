// Hostile values and mutations of valid inputs, shared by the hostile-input suite. A mutation
// picks a spot in a valid value and breaks it there, so most cases get past the first checks
// and reach the deeper ones; random values alone would stop at "not an object".
import fc from "fast-check";

/** Strings that broke, or could break, a parser, a cast or a database somewhere. */
const STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udc00y",
  "\uffff",
  "😀",
  "\n\r\t",
  "\\u0000",
  "'; DROP TABLE x; --",
  '"',
  "constructor",
  "__proto__",
  "toString",
  "NaN",
  "Infinity",
  "-0",
  "1e309",
  "0x1F",
  "9".repeat(19),
  "9".repeat(20),
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775809",
  "18446744073709551616",
  "2024-02-30",
  "infinity",
];

/** Nested `depth` deep: arrays or objects, so a recursive reader meets its limit. */
const nested = (depth: number, objects: boolean): unknown => {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = objects ? { a: v } : [v];
  return v;
};

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...STRINGS),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  // Oversized strings, well past what a key or a flag ever holds.
  fc.integer({ min: 10_000, max: 300_000 }).map((n) => "x".repeat(n)),
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom<unknown>(
    null,
    undefined,
    true,
    false,
    0,
    -1,
    -0,
    1.5,
    2 ** 31,
    2 ** 53,
    2 ** 53 + 2,
    1e308,
    -1e308,
    Number.MIN_VALUE,
    NaN,
    Infinity,
    -Infinity,
    [],
    {},
  ),
  fc.integer(),
  fc.double(),
  fc.integer({ min: 1, max: 2_000 }).map((d) => nested(d, false)),
  fc.integer({ min: 1, max: 2_000 }).map((d) => nested(d, true)),
  fc.jsonValue({ maxDepth: 3 }),
  // An own "__proto__" key, as JSON.parse makes it.
  fc.constant(JSON.parse('{"__proto__":{"polluted":true}}') as unknown),
);

export type Path = readonly (string | number)[];

/** Every spot in `value` (the root included), up to a few levels down. */
export function pathsOf(value: unknown, prefix: Path = [], depth = 6): Path[] {
  const out: Path[] = [prefix];
  if (depth === 0 || typeof value !== "object" || value === null) return out;
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  for (const [k, v] of entries) out.push(...pathsOf(v, [...prefix, k], depth - 1));
  return out;
}

export interface Mutation {
  /** Which spot (modulo the number of spots). */
  readonly at: number;
  readonly op: "replace" | "delete" | "add-key" | "wrap" | "empty";
  readonly value: unknown;
  readonly key: string;
}

export const mutationArb = (values: fc.Arbitrary<unknown>): fc.Arbitrary<Mutation> =>
  fc.record({
    at: fc.nat(),
    op: fc.constantFrom("replace", "replace", "replace", "delete", "add-key", "wrap", "empty"),
    value: values,
    key: fc.oneof(
      fc.constantFrom("extra", "__proto__", "constructor", "toString", "valueOf", "v", "kind"),
      fc.string(),
    ),
  });

/** An own data property, even for "__proto__" (an assignment would set the prototype). */
function setOwn(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** A shallow copy of an array or object (own keys kept as they are, "__proto__" included). */
function shallow(v: unknown): unknown {
  if (Array.isArray(v)) return [...(v as unknown[])];
  if (typeof v !== "object" || v === null) return v;
  const out = {};
  for (const [k, x] of Object.entries(v)) setOwn(out, k, x);
  return out;
}

/** What `m` makes of the value at its spot; undefined deletes it. */
function change(v: unknown, m: Mutation): unknown {
  switch (m.op) {
    case "replace":
      return m.value;
    case "wrap":
      return [v];
    case "empty":
      return Array.isArray(v) ? [] : typeof v === "object" && v !== null ? {} : "";
    case "add-key": {
      const copy = shallow(v);
      if (typeof copy === "object" && copy !== null && !Array.isArray(copy))
        setOwn(copy, m.key, m.value);
      return copy;
    }
    case "delete":
      return undefined;
  }
}

/** `value` with `next` at `path`, copying only the containers on the way (`value` is unchanged). */
export function setAt(value: unknown, path: Path, next: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return next;
  const copy = shallow(value) as Record<string | number, unknown>;
  const inner = setAt(copy[head], rest, next);
  if (inner !== undefined) setOwn(copy, head, inner);
  else if (Array.isArray(copy)) copy.splice(Number(head), 1);
  else Reflect.deleteProperty(copy, head);
  return copy;
}

/** `root` with `m` applied (a copy; `root` is not changed). */
export function mutate(root: unknown, m: Mutation): unknown {
  const paths = pathsOf(root);
  const path = paths[m.at % paths.length] ?? [];
  const current = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root);
  const next = change(current, m);
  if (path.length === 0) return next === undefined ? null : next;
  return setAt(root, path, next);
}

/** `root` with each mutation applied in turn. */
export const mutateAll = (root: unknown, ms: readonly Mutation[]): unknown =>
  ms.reduce((v, m) => mutate(v, m), root);
