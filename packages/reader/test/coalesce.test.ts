import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCoalescer } from "../src/coalesce.ts";
import { codec, stateValues, valueOf } from "./fixtures.ts";

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
      valueOf(rows.find((r) => valueOf(r.values, "camera_id") === "a")?.values, "people_in__p"),
    ).toBe("2");
    expect(c.size).toBe(0);
    expect(c.changesIn).toBe(0);
  });
  it("fills an unchanged-TOAST column of a later tuple from the earlier one", () => {
    const c = createCoalescer();
    c.add(codec, stateValues("a", { model_version__v: "big", people_in__p: "1" }));
    c.add(codec, stateValues("a", { model_version__v: undefined, people_in__p: "2" }));
    const [row] = c.drain();
    expect(valueOf(row?.values, "model_version__v")).toBe("big");
    expect(valueOf(row?.values, "people_in__p")).toBe("2");
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
            expect(valueOf(r.values, "people_in__p")).toBe(
              last.get(String(valueOf(r.values, "camera_id"))),
            );
        },
      ),
    );
  });
});
