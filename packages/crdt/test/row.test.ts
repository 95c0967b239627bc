import { describe, expect, it } from "vitest";
import {
  CounterKindMismatchError,
  createHlc,
  deleteRow,
  emptyRow,
  incrementRowCounter,
  insertRow,
  isRowPresent,
  mergeRow,
  viewRow,
  writeRowRegister,
} from "../src/index.ts";
import type { LocalContext, RowState, RowView } from "../src/index.ts";

let wall = 1_700_000_000_000;
const region = (id: string): LocalContext => ({
  region: id,
  hlc: createHlc({ wallClock: () => wall, maxForwardSkewMs: 60_000 }),
});
const A = region("us-east");
const B = region("eu-west");
const C = region("ap-south");
const tick = (): void => {
  wall += 1000;
};
const present = (v: RowView): Extract<RowView, { present: true }> => {
  if (!v.present) throw new Error("expected a present row");
  return v;
};

describe("row delete rule", () => {
  it("is present iff the greatest insert is after the greatest delete", () => {
    const r = insertRow(emptyRow(), { label: "x" }, A);
    expect(isRowPresent(emptyRow())).toBe(false);
    expect(isRowPresent(r)).toBe(true);
    expect(isRowPresent(deleteRow(r, A))).toBe(false);
  });

  it("remove-wins: updates concurrent with a delete do not revive the row", () => {
    const shared = insertRow(emptyRow(), { label: "x" }, A);
    tick();
    const deleted = deleteRow(shared, A);
    tick(); // B's update is later in wall time, but B has not seen the delete
    let updated = writeRowRegister(shared, "label", "y", B);
    updated = incrementRowCounter(updated, "people_in", "eu-west", 5);
    expect(viewRow(mergeRow(deleted, updated))).toEqual({ present: false });
    expect(viewRow(mergeRow(updated, deleted))).toEqual({ present: false });
  });

  it("a re-insert counts from the delete, and increments concurrent with the delete survive", () => {
    let shared = insertRow(emptyRow(), {}, A);
    shared = incrementRowCounter(shared, "people_in", "us-east", 10);
    shared = incrementRowCounter(shared, "people_in", "eu-west", 4);
    tick();
    const atA = deleteRow(shared, A); // base: us-east 10, eu-west 4
    const atB = incrementRowCounter(shared, "people_in", "eu-west", 3); // concurrent with the delete
    let merged = mergeRow(atA, atB);
    expect(isRowPresent(merged)).toBe(false);
    tick();
    merged = insertRow(merged, { label: "again" }, C);
    merged = incrementRowCounter(merged, "people_in", "ap-south", 2);
    const view = present(viewRow(merged));
    expect(view.counters["people_in"]).toBe(5n); // 3 concurrent + 2 after the re-insert, not 19
    expect(view.registers["label"]).toBe("again");
  });

  it("LWW between insert and delete: a concurrent insert stamped later wins", () => {
    const shared = insertRow(emptyRow(), {}, A);
    tick();
    const deleted = deleteRow(shared, A);
    tick();
    const reinserted = insertRow(shared, { label: "new" }, B);
    expect(isRowPresent(mergeRow(deleted, reinserted))).toBe(true);
    expect(isRowPresent(mergeRow(reinserted, deleted))).toBe(true);
  });

  it("a local insert after a delete with a clock far ahead still revives the row", () => {
    const future = {
      region: "eu-west",
      hlc: createHlc({ wallClock: () => wall + 3_600_000, maxForwardSkewMs: 0 }),
    };
    const deleted = deleteRow(insertRow(emptyRow(), {}, future), future);
    expect(isRowPresent(insertRow(deleted, {}, A))).toBe(true);
  });

  it("PN-counters visible value subtracts the base on both sides", () => {
    let r = insertRow(emptyRow(), {}, A);
    r = incrementRowCounter(r, "occupancy", "us-east", 5, "pncounter");
    r = incrementRowCounter(r, "occupancy", "us-east", -2, "pncounter");
    r = deleteRow(r, A);
    r = insertRow(r, {}, A);
    r = incrementRowCounter(r, "occupancy", "eu-west", -1, "pncounter");
    expect(present(viewRow(r)).counters["occupancy"]).toBe(-1n);
  });

  it("refuses to merge a G-counter column with a PN-counter column", () => {
    const g = incrementRowCounter(emptyRow(), "c", "us-east", 1);
    const pn = incrementRowCounter(emptyRow(), "c", "us-east", 1, "pncounter");
    expect(() => mergeRow(g, pn)).toThrow(CounterKindMismatchError);
    expect(() => incrementRowCounter(g, "c", "us-east", 1, "pncounter")).toThrow(
      CounterKindMismatchError,
    );
  });
});

describe("row registers and home-wins", () => {
  const homeWins = { homeColumn: "home", registerPolicy: "home-wins" } as const;
  const build = (): { home: RowState; other: RowState } => {
    const base = insertRow(emptyRow(), { home: "us-east", label: "start" }, A);
    tick();
    const home = writeRowRegister(base, "label", "home says", A);
    tick();
    const other = writeRowRegister(base, "label", "later, elsewhere", B);
    return { home, other };
  };

  it("per-column LWW: concurrent writes to different columns both survive", () => {
    const base = insertRow(emptyRow(), { label: "a", site: "s" }, A);
    tick();
    const m = mergeRow(
      writeRowRegister(base, "label", "b", A),
      writeRowRegister(base, "site", "t", B),
    );
    expect(present(viewRow(m)).registers).toMatchObject({ label: "b", site: "t" });
  });

  it("plain LWW picks the later write; home-wins picks the home region's", () => {
    const { home, other } = build();
    const m = mergeRow(home, other);
    expect(present(viewRow(m, { homeColumn: "home" })).registers["label"]).toBe("later, elsewhere");
    expect(present(viewRow(m, homeWins)).registers["label"]).toBe("home says");
    expect(present(viewRow(m, homeWins)).home).toBe("us-east");
  });

  it("re-homing changes the winner, identically whatever the merge order", () => {
    const { home, other } = build();
    tick();
    const rehomed = writeRowRegister(other, "home", "eu-west", C);
    const orders = [
      mergeRow(mergeRow(home, other), rehomed),
      mergeRow(rehomed, mergeRow(other, home)),
      mergeRow(mergeRow(rehomed, home), other),
    ];
    for (const m of orders)
      expect(viewRow(m, homeWins)).toEqual(viewRow(orders[0] as RowState, homeWins));
    expect(present(viewRow(orders[0] as RowState, homeWins)).registers["label"]).toBe(
      "later, elsewhere",
    );
  });

  it("falls back to plain LWW when the home column holds no region id", () => {
    let r = insertRow(emptyRow(), { home: "not a region!", label: "a" }, A);
    tick();
    r = writeRowRegister(r, "label", "b", B);
    const v = present(viewRow(r, homeWins));
    expect(v.home).toBeNull();
    expect(v.registers["label"]).toBe("b");
  });
});
