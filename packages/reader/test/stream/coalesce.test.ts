import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCoalescer } from "../../src/stream/coalesce.ts";
import type { CoalescedRow } from "../../src/stream/coalesce.ts";
import type { WrittenRow } from "../../src/slice/slice-json.ts";
import type { Values } from "../../src/postgres/values.ts";
import { lacksSliceColumn } from "../../src/slice/slice.ts";
import { rowWriter } from "../../src/slice/slice-json.ts";
import { codec, stateValues, valueOf } from "../fixtures.ts";

const values = (row: CoalescedRow | undefined): Values | undefined =>
  row?.kind === "values" ? row.values : undefined;

describe("coalescing per (table, key)", () => {
  it("keeps the latest tuple per key and counts changes in", () => {
    const c = createCoalescer();
    c.add(codec, stateValues("a", { people_in__p: "1" }));
    c.add(codec, stateValues("b", { people_in__p: "1" }));
    c.add(codec, stateValues("a", { people_in__p: "2" }));
    expect(c.size).toBe(2);
    expect(c.changesIn).toBe(3);
    const rows = c.drain();
    expect(
      valueOf(values(rows.find((r) => valueOf(values(r), "camera_id") === "a")), "people_in__p"),
    ).toBe("2");
    expect(c.size).toBe(0);
    expect(c.changesIn).toBe(0);
  });
  it("fills an unchanged-TOAST column of a later tuple from the earlier one", () => {
    const c = createCoalescer();
    c.add(codec, stateValues("a", { model_version__v: "big", people_in__p: "1" }));
    c.add(codec, stateValues("a", { model_version__v: undefined, people_in__p: "2" }));
    const [row] = c.drain();
    expect(valueOf(values(row), "model_version__v")).toBe("big");
    expect(valueOf(values(row), "people_in__p")).toBe("2");
  });
  it("equals the last tuple per key for any sequence without unchanged values", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.nat(1000)), { maxLength: 60 }),
        (ops) => {
          const c = createCoalescer();
          const last = new Map<string, string>();
          for (const [k, v] of ops) {
            c.add(codec, stateValues(`k${k}`, { people_in__p: String(v) }));
            last.set(`k${k}`, String(v));
          }
          const rows = c.drain();
          expect(rows.length).toBe(last.size);
          for (const r of rows)
            expect(valueOf(values(r), "people_in__p")).toBe(
              last.get(String(valueOf(values(r), "camera_id"))),
            );
        },
      ),
    );
  });
  it("merges unchanged columns into an earlier written row as the values alone would", () => {
    const write = rowWriter(codec);
    const json = (values: Values): string => {
      const row = write(values, "k");
      return row.text.toString("utf8", row.start, row.end);
    };
    const written = (values: Values): WrittenRow => ({
      kind: "written",
      codec,
      ...write(values, codec.keyOf(values)),
    });
    const toastable = ["model_version__v", "status__v", "home_region__v", "del__base"];
    const op = fc.record({
      key: fc.constantFrom("a", "b"),
      count: fc.nat(99).map(String),
      version: fc.string({ maxLength: 3 }),
      stamped: fc.boolean(),
      unchanged: fc.subarray(toastable),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
        const c = createCoalescer();
        const reference = new Map<string, Values>();
        for (const o of ops) {
          const values = stateValues(o.key, {
            people_in__p: o.count,
            model_version__v: o.version,
            status__t: o.stamped ? o.count : null,
            status__v: o.stamped ? o.version : null,
          });
          for (const u of o.unchanged) values[codec.indexOf(u)] = undefined;
          // The reference: every tuple kept as values, merged column by column.
          const key = codec.keyOf(values);
          const before = reference.get(key);
          reference.set(
            key,
            values.map((v, i) => (v === undefined ? before?.[i] : v)),
          );
          if (o.unchanged.length === 0) c.put(written(values));
          else c.add(codec, [...values]);
        }
        for (const row of c.drain()) {
          const expected = reference.get(row.rowKey) as Values;
          if (row.kind === "written") {
            expect(row.text.toString("utf8", row.start, row.end)).toBe(json(expected));
            continue;
          }
          // Written now, or re-read at the cut: never written where the values could not be.
          if (lacksSliceColumn(codec, expected))
            expect(lacksSliceColumn(codec, row.values)).toBe(true);
          if (!lacksSliceColumn(codec, row.values)) expect(json(row.values)).toBe(json(expected));
        }
      }),
    );
  });
});
