import { describe, expect, it } from "vitest";
import { lsnFromBigInt as l } from "../../src/postgres/lsn.ts";
import { createFlushWindow } from "../../src/stream/window.ts";
import { codec, stateValues } from "../fixtures.ts";

describe("flush window", () => {
  it("cuts rows with the last commit as the position, never an open transaction's", () => {
    const w = createFlushWindow(l(5n));
    expect(w.empty).toBe(true);
    w.add(codec, stateValues("a"), l(100n), 1);
    w.commit(l(101n));
    w.add(codec, stateValues("b"), l(200n), 2);
    const cut = w.cut();
    expect(cut.rows.length).toBe(2);
    expect(cut.upTo).toBe(101n);
    expect(cut.lsn).toBe(200n);
    expect(cut.changesIn).toBe(2);
    expect(w.empty).toBe(true);
    w.commit(l(201n));
    expect(w.empty).toBe(false);
    expect(w.cut().rows.length).toBe(0);
  });
});
