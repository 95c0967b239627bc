import { describe, expect, it } from "vitest";
import { captureParse } from "@georep/command-line/testing";
import type { CapturedParse } from "@georep/command-line/testing";
import { benches, parseBenchArgs, parseRates } from "./args.ts";
import type { BenchArgs, BenchName } from "./args.ts";

const parseAll = (argv: string[]): CapturedParse<BenchArgs> =>
  captureParse((output) => parseBenchArgs(argv, output));
const parse = (argv: string[]): CapturedParse<BenchName[]> => {
  const r = parseAll(argv);
  return { ...r, value: r.value?.names };
};

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

  it("--sweep takes the lag bench's rates, sorted and distinct, and alone runs only lag", () => {
    expect(parseAll(["--sweep", "400,50,100,200,100"]).value).toEqual({
      names: ["lag"],
      sweep: [50, 100, 200, 400],
    });
    expect(parseAll(["lag", "crdt", "--sweep", "50"]).value).toEqual({
      names: ["crdt", "lag"],
      sweep: [50],
    });
    expect(parseAll(["lag"]).value).toEqual({ names: ["lag"], sweep: undefined });
  });

  it("--sweep with a rate that is not a whole number in range exits 2, saying the fix", () => {
    for (const bad of ["", "50,,100", "50,abc", "0", "12.5", "200000"]) {
      const r = parseAll(["lag", "--sweep", bad]);
      expect(r.code, bad).toBe(2);
      expect(r.err).toContain("error: --sweep needs rates in commits/s per region");
      expect(r.err).toContain("--sweep 50,100,200,400");
      expect(r.err).toContain(`(got ${JSON.stringify(bad)})`);
    }
  });

  it("--sweep without the lag bench exits 2", () => {
    const r = parseAll(["capture", "--sweep", "50,100"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--sweep applies to the lag bench only");
  });

  it("--sweep without a value exits 2", () => {
    expect(parseAll(["--sweep"]).code).toBe(2);
  });
});

describe("parseRates (also BENCH_SWEEP)", () => {
  it("reads whole numbers separated by commas, spaces allowed", () => {
    expect(parseRates(" 100, 50 ")).toEqual([50, 100]);
  });

  it("says what is wrong with a bad rate", () => {
    expect(parseRates("50,-1")).toContain("must be between 1 and 100000");
    expect(parseRates("fast")).toContain("must be a whole number");
  });
});
