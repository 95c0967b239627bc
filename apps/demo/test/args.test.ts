import { describe, expect, it } from "vitest";
import { captureParse } from "@georep/command-line/testing";
import type { CapturedParse } from "@georep/command-line/testing";
import { parseDemoArgs } from "../src/args.ts";
import type { DemoArgs } from "../src/args.ts";

const parse = (argv: string[]): CapturedParse<DemoArgs> =>
  captureParse((output) => parseDemoArgs(argv, output));

describe("parseDemoArgs", () => {
  it("defaults to 3000 reports per region, a clock seed and no --keep", () => {
    expect(parse([]).value).toEqual({ reports: 3000, keep: false });
  });

  it("reads every flag, also after the `--` pnpm may pass through", () => {
    const all = { reports: 50, seed: 7, keep: true };
    expect(parse(["--reports", "50", "--seed", "7", "--keep"]).value).toEqual(all);
    expect(parse(["--", "--reports", "50", "--seed", "7", "--keep"]).value).toEqual(all);
  });

  it.each([
    [["--reports", "lots"], "--reports must be a whole number, e.g. --reports 3000"],
    [["--reports", "0"], "--reports must be between 1 and 1000000"],
    [["--reports", "2.5"], "--reports must be a whole number"],
    [["--seed", "-1"], "--seed must be between 0 and"],
    [["--seed"], "option '--seed <s>' argument missing"],
    [["--report", "5"], "unknown option '--report'"],
    [["--keep", "yes"], "too many arguments"],
  ])("%j exits 2 naming the flag and the fix", (argv, message) => {
    const r = parse(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain("(pnpm demo --help shows the usage)");
  });

  it("--help lists the flags and exits 0", () => {
    const r = parse(["--help"]);
    expect(r.code).toBe(0);
    for (const flag of ["--reports <n>", "--seed <s>", "--keep"]) expect(r.out).toContain(flag);
  });
});
