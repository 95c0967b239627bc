import { describe, expect, it } from "vitest";
import { mergedKeys, shippedKeys } from "../src/cache-shipped-keys.ts";

const slice = (id: string) => ({
  table: "public.t",
  key: { id, at: "2026-11-22 10:00:00+00" },
  zone: null,
  counters: { hits__p: "3" },
  registers: {},
  ins: "1",
  del: null,
  delBase: null,
});

describe("the keys of shipped and merged rows", () => {
  it("reads each row's table and key from the shared buffer of a capture batch", () => {
    // Rows share one buffer, each a [start, end) window of it, as the reader writes them.
    const parts = ["junk", JSON.stringify(slice("1")), JSON.stringify(slice("2")), "tail"];
    const text = Buffer.from(parts.join(""));
    let at = parts[0]?.length ?? 0;
    const rows = parts.slice(1, 3).map((p) => {
      const row = { text, start: at, end: at + Buffer.byteLength(p) };
      at = row.end;
      return row;
    });
    expect(shippedKeys({ rows })).toEqual(
      new Map([["public.t", [slice("1").key, slice("2").key]]]),
    );
  });

  it("refuses a row that is not a slice", () => {
    const text = Buffer.from('{"table":1}');
    expect(() => shippedKeys({ rows: [{ text, start: 0, end: text.length }] })).toThrow();
  });

  it("groups merged rows by table", () => {
    const envelope = {
      v: 1 as const,
      kind: "rows" as const,
      origin: "us-east",
      lsn: "0/1",
      commitTime: 0,
      rows: [slice("1"), { ...slice("2"), table: "public.u" }],
    };
    expect(mergedKeys([envelope])).toEqual(
      new Map([
        ["public.t", [slice("1").key]],
        ["public.u", [slice("2").key]],
      ]),
    );
  });
});
