import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENVELOPE_VERSION, decodeEnvelope, rowSliceSchema } from "@georep/contract";
import { rowWriter } from "../../src/slice/slice-json.ts";
import { valuesToSlice } from "../../src/slice/slice.ts";
import { DecodeError } from "../../src/postgres/tuple.ts";
import type { Values } from "../../src/postgres/values.ts";
import type { ShipRow } from "../../src/sink.ts";
import { completeRow } from "../arbitraries.ts";
import { codec, stateValues } from "../fixtures.ts";

const write = rowWriter(codec);
const json = (row: ShipRow): string => row.text.toString("utf8", row.start, row.end);

describe("rowWriter: a slice's JSON straight from its values", () => {
  it("equals JSON.stringify(valuesToSlice) with its exact UTF-8 size, for any row", () => {
    fc.assert(
      fc.property(completeRow, (values) => {
        const row = write(values, "k");
        const slice = valuesToSlice(codec, values);
        expect(json(row)).toBe(JSON.stringify(slice));
        expect(row.zone).toBe(slice.zone);
      }),
      { numRuns: 2_000 },
    );
  });
  it("decodes as the contract's envelope when lone surrogates are absent (PostgreSQL text)", () => {
    fc.assert(
      fc.property(completeRow, (values) => {
        const row = write(values, "k");
        const slice = valuesToSlice(codec, values);
        const value = Buffer.from(
          `{"kind":"rows","v":${ENVELOPE_VERSION},"origin":"us-east","lsn":"0/1","commitTime":1,"rows":[${json(row)}]}`,
        );
        const decoded = decodeEnvelope(value, { knownOrigins: new Set(["us-east"]) });
        if (!rowSliceSchema.safeParse(slice).success) return;
        expect(decoded.ok && decoded.envelope.kind === "rows" && decoded.envelope.rows[0]).toEqual(
          JSON.parse(JSON.stringify(slice)),
        );
      }),
      { numRuns: 300 },
    );
  });
  it("throws DecodeError exactly where valuesToSlice does (unchanged TOAST, NULL key or counter)", () => {
    const column = fc.constantFrom(...codec.columns);
    fc.assert(
      fc.property(completeRow, column, fc.constantFrom(undefined, null), (values, c, v) => {
        const broken = [...values];
        broken[codec.indexOf(c)] = v;
        let expected: unknown;
        try {
          valuesToSlice(codec, broken);
        } catch (error) {
          expected = error;
        }
        if (expected === undefined)
          expect(json(write(broken, "k"))).toBe(JSON.stringify(valuesToSlice(codec, broken)));
        else expect(() => write(broken, "k")).toThrow(DecodeError);
      }),
    );
  });
  it("keeps every row's bytes across arena chunks (rows of several MiB, a throwing row between)", () => {
    const rows = Array.from({ length: 3_000 }, (_, i) =>
      stateValues(`cam-${i}`, { model_version__v: "é".repeat(i % 7 === 0 ? 700_000 : 300) }),
    );
    const written = rows.map((values, i) => {
      if (i === 5) expect(() => write(stateValues("x", { people_in__p: null }), "k")).toThrow();
      return write(values, "k");
    });
    for (const [i, row] of written.entries())
      expect(json(row)).toBe(JSON.stringify(valuesToSlice(codec, rows[i] as Values)));
  });
  it("writes the fixture row as the slice", () => {
    const values = stateValues('cam-"1"', { status__t: "5", status__v: null });
    expect(JSON.parse(json(write(values, "k")))).toEqual(valuesToSlice(codec, values));
  });
});
