import { describe, expect, it } from "vitest";
import { captureParse } from "@georep/command-line/testing";
import type { CapturedParse } from "@georep/command-line/testing";
import { benches, parseBenchArgs } from "./args.ts";
import type { BenchName } from "./args.ts";

const parse = (argv: string[]): CapturedParse<BenchName[]> =>
  captureParse((output) => parseBenchArgs(argv, output));

const all = Object.keys(benches);

describe("parseBenchArgs", () => {
  it("runs every benchmark when none is named", () => {
    expect(parse([]).value).toEqual(all);
    expect(parse(["--"]).value).toEqual(all);
  });

  it("runs the named ones once each, in the list's order", () => {
    expect(parse(["capture"]).value).toEqual(["capture"]);
    expect(parse(["--", "lag", "crdt", "lag"]).value).toEqual(["crdt", "lag"]);
  });

  it("an unknown name exits 2, naming it and listing the choices", () => {
    const r = parse(["crdt", "nosuch"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("'nosuch' is invalid");
    expect(r.err).toContain(`Allowed choices are ${all.join(", ")}.`);
    expect(r.err).toContain("(pnpm bench --help shows the usage)");
  });

  it("an unknown flag exits 2, naming it", () => {
    const r = parse(["--fast"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown option '--fast'");
  });

  it("--help lists every benchmark and its file, and exits 0", () => {
    const r = parse(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Usage: pnpm bench [options] [name...]");
    const lines = r.out.split("\n").map((line) => line.trim().split(/ +/));
    for (const [name, file] of Object.entries(benches)) expect(lines).toContainEqual([name, file]);
  });
});
