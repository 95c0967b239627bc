import { describe, expect, it } from "vitest";
import { PgoutputDecodeError, PgoutputDecoder } from "../../src/postgres/pgoutput.ts";
import type { PgoutputMessage, Relation, TuplePlan } from "../../src/postgres/pgoutput.ts";
import type { Values } from "../../src/postgres/values.ts";
import { NULL_SPAN, UNKNOWN_SPAN } from "../../src/postgres/tuple-spans.ts";
import { Bytes, UNCHANGED, relationFrame, xlogData } from "../pgoutput-bytes.ts";

const REL = 16_500;
const OTHER = 0x80000001 | 0; // an OID above 2^31, as a signed int32 on the wire
const US = 1_000_000n; // 1 s in µs, since 2000-01-01

const frames: Record<string, Buffer> = {
  relation: relationFrame(REL, "georep", "state", ["k", "skipped", "a", "b"], 1),
  other: relationFrame(OTHER, "public", "other", ["x"], 1),
  begin: new Bytes().char("B").i64(0x1_0000_0010n).i64(US).i32(700).build(),
  origin: new Bytes().char("O").i64(0x20n).cstring("eu-west").build(),
  type: new Bytes().char("Y").i32(16_600).cstring("public").cstring("mood").build(),
  insert: new Bytes().char("I").i32(REL).char("N").tuple(["k1", "x", "é✓", null]).build(),
  insertOther: new Bytes().char("I").i32(OTHER).char("N").tuple(["ignored"]).build(),
  updateN: new Bytes().char("U").i32(REL).char("N").tuple(["k1", "x", UNCHANGED, "2"]).build(),
  updateK: new Bytes()
    .char("U")
    .i32(REL)
    .char("K")
    .tuple(["k0", null, null, null])
    .char("N")
    .tuple(["k1", "x", "3", UNCHANGED])
    .build(),
  updateO: new Bytes()
    .char("U")
    .i32(REL)
    .char("O")
    .tuple(["k1", "x", "old-a", "old-b"])
    .char("N")
    .tuple(["k1", "x", UNCHANGED, "4"])
    .build(),
  delete: new Bytes().char("D").i32(REL).char("K").tuple(["k1", null, null, null]).build(),
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
    const framed = xlogData(frames["insert"] ?? Buffer.alloc(0), 0x10n, 0x40n, US);
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
