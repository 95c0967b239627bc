import { describe, expect, it } from "vitest";
import { rowSliceSchema } from "@georep/contract";
import { tupleToSlice } from "../../src/slice/slice.ts";
import { DecodeError, relationIndex, unknownColumns } from "../../src/postgres/tuple.ts";
import { codec, stateTuple } from "../fixtures.ts";

describe("state tuple -> RowSlice", () => {
  it("decodes counters as decimals and only registers the origin wrote", () => {
    const slice = tupleToSlice(codec, stateTuple("cam-1", { people_in__p: "9007199254740993" }));
    expect(rowSliceSchema.parse(slice)).toEqual(slice);
    expect(slice.table).toBe("public.counting_results");
    expect(slice.key).toEqual({ camera_id: "cam-1", bucket: "2026-01-01 00:00:00+00" });
    expect(slice.counters["people_in__p"]).toBe("9007199254740993");
    expect(slice.registers).toEqual({ model_version: { v: "m1", t: "111" } });
    expect(slice.ins).toBe("100");
    expect(slice.del).toBeNull();
  });
  it("keeps a written SQL NULL register value (stamp set, value NULL)", () => {
    const slice = tupleToSlice(codec, stateTuple("cam-1", { status__t: "200", status__v: null }));
    expect(slice.registers["status"]).toEqual({ v: null, t: "200" });
  });
  it("parses the tombstone base, whose leaves are JSON strings", () => {
    const slice = tupleToSlice(
      codec,
      stateTuple("cam-1", {
        del__t: "300",
        del__base: '{"us-east": {"people_in__p": "3"}, "eu-west": {"people_in__p": "5"}}',
      }),
    );
    expect(slice.delBase).toEqual({
      "us-east": { people_in__p: "3" },
      "eu-west": { people_in__p: "5" },
    });
    expect(rowSliceSchema.safeParse(slice).success).toBe(true);
  });
  it("never turns an unchanged TOAST value into NULL", () => {
    const tuple = stateTuple("cam-1", { model_version__v: undefined });
    expect(unknownColumns(codec, codec.toValues(tuple))).toEqual(["model_version__v"]);
    expect(() => tupleToSlice(codec, tuple)).toThrow(DecodeError);
  });
  it("refuses a NULL counter component or key", () => {
    expect(() => tupleToSlice(codec, stateTuple("cam-1", { people_in__p: null }))).toThrow(
      DecodeError,
    );
    expect(() => tupleToSlice(codec, stateTuple("cam-1", { camera_id: null }))).toThrow(
      DecodeError,
    );
  });
  it("classifies relations: state tables, the heartbeat, everything else", () => {
    const classify = relationIndex([codec]);
    expect(classify("georep", "state__public__counting_results").kind).toBe("state");
    expect(classify("georep", "heartbeat").kind).toBe("heartbeat");
    expect(classify("public", "counting_results").kind).toBe("other");
    expect(classify("georep", "progress").kind).toBe("other");
  });
});
