import fc from "fast-check";
import type { Values } from "../src/postgres/values.ts";
import { codec } from "./fixtures.ts";

/** Text of any kind: escapes, controls, multi-byte, astral and lone surrogates. */
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({
    unit: fc.constantFrom(
      '"',
      "\\",
      "\n",
      "\u0000",
      "\u001f",
      "\u007f",
      "é",
      "\u2028",
      "😀",
      "\ud800",
      "\udc00",
      "a",
    ),
  }),
);
const decimal = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String);
const deleteBase = fc
  .dictionary(
    fc.constantFrom("us-east", "eu-west", "ap-south"),
    fc.dictionary(fc.constantFrom("people_in__p", "vehicle_in__p"), decimal),
  )
  .map((o) => JSON.stringify(o));

/** A complete row (every column known) in codec.columns order. */
export const completeRow: fc.Arbitrary<Values> = fc.tuple(
  ...codec.columns.map((c): fc.Arbitrary<string | null> => {
    if (codec.keyOrder.includes(c)) return text;
    if (c.endsWith("__p") || c.endsWith("__n")) return decimal;
    if (c === "del__base") return fc.option(deleteBase, { nil: null });
    if (c === "born__") return decimal;
    if (c.endsWith("__t")) return fc.option(decimal, { nil: null });
    return fc.option(text, { nil: null });
  }),
);
