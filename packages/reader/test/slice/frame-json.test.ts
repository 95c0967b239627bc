import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { frameRowWriter, rowWriter } from "../../src/slice/slice-json.ts";
import type { ShipRow } from "../../src/sink.ts";
import { DecodeError } from "../../src/postgres/tuple.ts";
import type { Values } from "../../src/postgres/values.ts";
import { completeRow } from "../arbitraries.ts";
import { codec, stateValues } from "../fixtures.ts";
import { insertFrame, stateDecoder } from "../frames.ts";

const json = (row: ShipRow): string => row.text.toString("utf8", row.start, row.end);
const fromFrame = frameRowWriter(codec);
const fromValues = rowWriter(codec);

/** A row, sometimes with a NULL where the slice may not have one (key, counter). */
const row = fc.oneof(
  { weight: 4, arbitrary: completeRow },
  {
    weight: 1,
    arbitrary: fc
      .tuple(completeRow, fc.constantFrom(...codec.columns))
      .map(([values, c]) => values.map((v, i) => (i === codec.indexOf(c) ? null : v))),
  },
);

describe("frameRowWriter: a complete tuple's JSON straight from its frame", () => {
  it("writes rowWriter's bytes over the decoded values, whatever the shape, escapes or order", () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 12 }), (rows) => {
        const decode = stateDecoder();
        for (const values of rows) {
          const tuple = decode(insertFrame(values));
          const decoded: Values = tuple.values();
          const written = fromFrame(tuple);
          let expected: ShipRow | undefined;
          try {
            expected = fromValues(decoded, codec.keyOf(decoded));
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError);
          }
          if (expected === undefined) {
            // The values path reports the row at the cut.
            expect(written).toBeUndefined();
            continue;
          }
          expect(written).toBeDefined();
          if (written === undefined) continue;
          expect(json(written)).toBe(json(expected));
          expect(written.rowKey).toBe(codec.keyOf(decoded));
          expect(written.zone).toBe(expected.zone);
        }
      }),
      { numRuns: 500 },
    );
  });
  it("leaves a tuple with unchanged TOAST to the values path", () => {
    const decode = stateDecoder();
    const tuple = decode(insertFrame(stateValues("cam-1", { model_version__v: undefined })));
    expect(tuple.complete).toBe(false);
    expect(tuple.values()[codec.indexOf("model_version__v")]).toBeUndefined();
  });
  it("keeps each row's bytes while later rows are written", () => {
    const decode = stateDecoder();
    const rows = Array.from({ length: 5_000 }, (_, i) =>
      stateValues(`cam-${i}`, { status__v: i % 3 === 0 ? "ok" : null, status__t: String(i) }),
    );
    const written = rows.map((values) => fromFrame(decode(insertFrame(values))));
    for (const [i, w] of written.entries())
      expect(w && json(w)).toBe(json(fromValues(rows[i] as Values, "k")));
  });
});
