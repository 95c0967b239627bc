import { describe, expect, it } from "vitest";
import {
  createHlc,
  deleteRow,
  deltaGCounter,
  deltaRow,
  emptyRow,
  equalRow,
  gcounterFrom,
  incrementRowCounter,
  insertRow,
  isEmptyRowDelta,
  mergeRow,
  writeRowRegister,
} from "../src/index.ts";

const ctx = {
  region: "us-east",
  hlc: createHlc({ wallClock: () => 1_700_000_000_000, maxForwardSkewMs: 0 }),
};

describe("delta", () => {
  it("carries only the components that grew", () => {
    const from = gcounterFrom([
      ["us-east", 5n],
      ["eu-west", 2n],
    ]);
    const to = gcounterFrom([
      ["us-east", 5n],
      ["eu-west", 3n],
      ["ap-south", 1n],
    ]);
    expect(deltaGCounter(from, to).counts).toEqual({ "eu-west": 3n, "ap-south": 1n });
  });

  it("a row delta holds only what changed, and merging it equals merging the state", () => {
    const from = incrementRowCounter(
      insertRow(emptyRow(), { label: "a", site: "s" }, ctx),
      "people_in",
      "us-east",
      1,
    );
    let to = incrementRowCounter(from, "people_in", "us-east", 2);
    to = writeRowRegister(to, "label", "b", ctx);
    const d = deltaRow(from, to);
    expect(Object.keys(d.registers)).toEqual(["label"]);
    expect(d.inserted).toBeUndefined();
    expect(equalRow(mergeRow(from, d), mergeRow(from, to))).toBe(true);
  });

  it("ships a tombstone with its base", () => {
    const from = incrementRowCounter(insertRow(emptyRow(), {}, ctx), "people_in", "us-east", 4);
    const d = deltaRow(from, deleteRow(from, ctx));
    expect(d.deleted?.base["people_in"]).toEqual(from.counters["people_in"]);
  });

  it("is empty between equal states", () => {
    const s = insertRow(emptyRow(), { label: "a" }, ctx);
    expect(isEmptyRowDelta(deltaRow(s, s))).toBe(true);
  });
});
