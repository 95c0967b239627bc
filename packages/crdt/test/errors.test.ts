import { describe, expect, it } from "vitest";
import {
  ClockSkewError,
  CodecError,
  CounterKindMismatchError,
  CrdtError,
  NegativeIncrementError,
  UnsupportedVersionError,
  formatPath,
} from "../src/index.ts";

describe("errors", () => {
  it("share a base with a name, a retriable flag and a cause", () => {
    const cause = new Error("zod said no");
    const e = new CodecError("row", ["gcounters", "c", "us-east"], "expected a decimal", { cause });
    expect(e).toBeInstanceOf(CrdtError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("CodecError");
    expect(e.retriable).toBe(false);
    expect(e.cause).toBe(cause);
    expect(e.message).toBe("Invalid row at gcounters.c.us-east: expected a decimal");
  });

  it("every subclass names itself", () => {
    expect(new NegativeIncrementError("us-east", -1n).name).toBe("NegativeIncrementError");
    expect(new ClockSkewError(2000, 1000, 500).name).toBe("ClockSkewError");
    expect(new CounterKindMismatchError("c", "gcounter", "pncounter").name).toBe(
      "CounterKindMismatchError",
    );
    const v = new UnsupportedVersionError("row", 2, [1]);
    expect(v).toBeInstanceOf(CodecError);
    expect(v.name).toBe("UnsupportedVersionError");
    expect(v.path).toEqual(["v"]);
  });

  it("formats paths with indices", () => {
    expect(formatPath([])).toBe("(root)");
    expect(formatPath(["registers", "label", "us-east", 0])).toBe("registers.label.us-east[0]");
  });
});

describe("error messages from hostile input", () => {
  it("describe an object whose toString is not a function instead of throwing a TypeError", () => {
    const error = new UnsupportedVersionError("row", { toString: "" }, [1]);
    expect(error.message).toContain('unsupported version {"toString":""}');
  });
});
