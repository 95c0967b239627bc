import { describe, expect, it } from "vitest";
import { PgoutputDecodeError, PgoutputDecoder } from "../../src/postgres/pgoutput.ts";
import type { PgoutputMessage, Relation, TuplePlan, Values } from "../../src/postgres/pgoutput.ts";
import { NULL_SPAN, UNKNOWN_SPAN } from "../../src/postgres/tuple-spans.ts";

/** node-postgres style byte builder for pgoutput frames. */
class Bytes {
  private parts: Buffer[] = [];
  u8(v: number): this {
    this.parts.push(Buffer.from([v]));
    return this;
  }
  char(c: string): this {
    return this.u8(c.charCodeAt(0));
  }
  i16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  i64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }
  cstring(s: string): this {
    this.parts.push(Buffer.from(s, "utf8"), Buffer.from([0]));
    return this;
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A text value, SQL NULL, or UNCHANGED (unchanged TOAST). */
const UNCHANGED = Symbol("unchanged");
type V = string | null | typeof UNCHANGED;
const tuple = (b: Bytes, values: readonly V[]): Bytes => {
  b.i16(values.length);
  for (const v of values) {
    if (v === null) b.char("n");
    else if (v === UNCHANGED) b.char("u");
    else {
      const bytes = Buffer.from(v, "utf8");
      b.char("t").i32(bytes.length).raw(bytes);
    }
  }
  return b;
};

const REL = 16_500;
const OTHER = 0x80000001 | 0; // an OID above 2^31, as a signed int32 on the wire
const relation = (id: number, schema: string, name: string, columns: string[]): Buffer => {
  const b = new Bytes()
    .char("R")
    .i32(id)
    .cstring(schema)
    .cstring(name)
    .char("d")
    .i16(columns.length);
  for (const [i, c] of columns.entries())
    b.u8(i === 0 ? 1 : 0)
      .cstring(c)
      .i32(25)
      .i32(-1);
  return b.build();
};
const US = 1_000_000n; // 1 s in µs, since 2000-01-01

const frames: Record<string, Buffer> = {
  relation: relation(REL, "georep", "state", ["k", "skipped", "a", "b"]),
  other: relation(OTHER, "public", "other", ["x"]),
  begin: new Bytes().char("B").i64(0x1_0000_0010n).i64(US).i32(700).build(),
  origin: new Bytes().char("O").i64(0x20n).cstring("eu-west").build(),
  type: new Bytes().char("Y").i32(16_600).cstring("public").cstring("mood").build(),
  insert: tuple(new Bytes().char("I").i32(REL).char("N"), ["k1", "x", "é✓", null]).build(),
  insertOther: tuple(new Bytes().char("I").i32(OTHER).char("N"), ["ignored"]).build(),
  updateN: tuple(new Bytes().char("U").i32(REL).char("N"), ["k1", "x", UNCHANGED, "2"]).build(),
  updateK: tuple(
    tuple(new Bytes().char("U").i32(REL).char("K"), ["k0", null, null, null]).char("N"),
    ["k1", "x", "3", UNCHANGED],
  ).build(),
  updateO: tuple(
    tuple(new Bytes().char("U").i32(REL).char("O"), ["k1", "x", "old-a", "old-b"]).char("N"),
    ["k1", "x", UNCHANGED, "4"],
  ).build(),
  delete: tuple(new Bytes().char("D").i32(REL).char("K"), ["k1", null, null, null]).build(),
  truncate: new Bytes().char("T").i32(2).u8(1).i32(REL).i32(OTHER).build(),
  message: new Bytes()
    .char("M")
    .u8(1)
    .i64(0x30n)
    .cstring("georep")
    .i32(3)
    .raw(Buffer.from("abc"))
    .build(),
  commit: new Bytes()
    .char("C")
    .u8(0)
    .i64(0x1_0000_0010n)
    .i64(0x1_0000_0040n)
    .i64(2n * US)
    .build(),
};

type Plan = TuplePlan & { readonly name: string };
/** k -> 0, a -> 1, b -> 2; other columns are walked, not decoded. */
const plan = (relation: Relation): Plan | undefined => {
  if (relation.schema !== "georep") return undefined;
  const slot: Record<string, number> = { k: 0, a: 1, b: 2 };
  return {
    name: relation.name,
    width: 3,
    slots: Int32Array.from(relation.columns, (c) => slot[c.name] ?? -1),
  };
};

/** A change's values, taken at once (the decoder reuses its tuple at the next decode). */
const valuesOf = (m: PgoutputMessage<Plan>): Values | undefined =>
  m.tag === "insert" || m.tag === "update" ? m.tuple?.values(m.old) : undefined;

const primed = (): PgoutputDecoder<Plan> => {
  const d = new PgoutputDecoder(plan);
  d.decode(frames["relation"] ?? Buffer.alloc(0));
  d.decode(frames["other"] ?? Buffer.alloc(0));
  return d;
};

describe("pgoutput decoder", () => {
  it("decodes every message type we receive", () => {
    const d = primed();
    const f = (name: string) => d.decode(frames[name] ?? Buffer.alloc(0));
    expect(f("begin")).toEqual({
      tag: "begin",
      finalLsn: 0x1_0000_0010n,
      commitTime: 946_684_801_000,
      xid: 700,
    });
    expect(f("origin")).toEqual({ tag: "origin", originLsn: 0x20n, name: "eu-west" });
    expect(f("type")).toEqual({ tag: "type", typeOid: 16_600, schema: "public", name: "mood" });
    const insert = f("insert");
    expect(insert.tag === "insert" && valuesOf(insert)).toEqual(["k1", "é✓", null]);
    expect(insert.tag === "insert" && insert.plan?.name).toBe("state");
    const other = f("insertOther");
    expect(other.tag === "insert" && other.relation.id).toBe(0x80000001);
    expect(other.tag === "insert" && valuesOf(other)).toBeUndefined();
    const commit = f("commit");
    expect(commit).toEqual({
      tag: "commit",
      commitLsn: 0x1_0000_0010n,
      endLsn: 0x1_0000_0040n,
      commitTime: 946_684_802_000,
    });
    const truncate = f("truncate");
    expect(truncate.tag === "truncate" && truncate.relations.map((r) => r.name)).toEqual([
      "state",
      "other",
    ]);
    const message = f("message");
    expect(
      message.tag === "message" && [
        message.prefix,
        message.transactional,
        message.content.toString(),
      ],
    ).toEqual(["georep", true, "abc"]);
    expect(f("delete").tag).toBe("delete");
  });
  it("keeps unchanged TOAST as undefined, never null; an old full tuple fills it", () => {
    const d = primed();
    const n = d.decode(frames["updateN"] ?? Buffer.alloc(0));
    expect(n.tag === "update" && valuesOf(n)).toEqual(["k1", undefined, "2"]);
    const k = d.decode(frames["updateK"] ?? Buffer.alloc(0));
    expect(k.tag === "update" && valuesOf(k)).toEqual(["k1", "3", undefined]);
    const o = d.decode(frames["updateO"] ?? Buffer.alloc(0));
    expect(o.tag === "update" && valuesOf(o)).toEqual(["k1", "old-a", "4"]);
  });
  it("decodes a frame at an offset (the XLogData header stays in front)", () => {
    const d = primed();
    const framed = Buffer.concat([Buffer.alloc(25, 0xff), frames["insert"] ?? Buffer.alloc(0)]);
    const m = d.decode(framed, 25);
    expect(m.tag === "insert" && valuesOf(m)).toEqual(["k1", "é✓", null]);
  });
  it("decodes a planned tuple into positions in the frame, not strings", () => {
    const d = primed();
    const frame = frames["insert"] ?? Buffer.alloc(0);
    const m = d.decode(frame);
    const tuple = m.tag === "insert" ? m.tuple : undefined;
    expect(tuple?.frame).toBe(frame);
    expect(tuple?.complete).toBe(true);
    const text = (slot: number): string | undefined =>
      tuple === undefined
        ? undefined
        : frame.toString("utf8", tuple.start[slot] ?? 0, tuple.end[slot] ?? 0);
    expect([text(0), text(1)]).toEqual(["k1", "é✓"]);
    expect(tuple?.start[2]).toBe(NULL_SPAN);
    const n = d.decode(frames["updateN"] ?? Buffer.alloc(0));
    expect(n.tag === "update" && n.tuple?.complete).toBe(false);
    expect(n.tag === "update" && n.tuple?.start[1]).toBe(UNKNOWN_SPAN);
  });
  it("refuses every message cut at every byte position, and changes of unknown relations", () => {
    for (const [name, frame] of Object.entries(frames)) {
      for (let cut = 0; cut < frame.length; cut++) {
        expect(() => primed().decode(frame.subarray(0, cut)), `${name} cut at ${cut}`).toThrow(
          PgoutputDecodeError,
        );
      }
      expect(() => primed().decode(frame)).not.toThrow();
    }
    expect(() => new PgoutputDecoder(plan).decode(frames["insert"] ?? Buffer.alloc(0))).toThrow(
      /before its Relation message/,
    );
    expect(() => primed().decode(Buffer.from("Z"))).toThrow(/unknown pgoutput message/);
    expect(() =>
      primed().decode(new Bytes().char("I").i32(REL).char("N").i16(1).char("x").build()),
    ).toThrow(/value kind/);
  });
});
