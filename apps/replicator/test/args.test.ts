import { describe, expect, it } from "vitest";
import { captureParse } from "@georep/command-line/testing";
import type { CapturedParse } from "@georep/command-line/testing";
import { parseReplicatorArgs } from "../src/args.ts";
import type { ReplicatorArgs } from "../src/args.ts";

const parse = (argv: string[]): CapturedParse<ReplicatorArgs> =>
  captureParse((output) => parseReplicatorArgs(argv, output));

describe("parseReplicatorArgs", () => {
  it("reads --config", () => {
    expect(parse(["--config", "us-east.json"]).value).toEqual({ config: "us-east.json" });
    expect(parse(["--config=us-east.json"]).value).toEqual({ config: "us-east.json" });
  });

  it("a missing --config exits 2, naming it and pointing to --help", () => {
    const r = parse([]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("required option '--config <file.json>' not specified");
    expect(r.err).toContain("georep-replicator --help");
  });

  it("an empty --config exits 2 with the fix", () => {
    const r = parse(["--config", ""]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--config needs a file, e.g. --config us-east.json");
  });

  it("an unknown flag or a stray argument exits 2, naming it", () => {
    const flag = parse(["--config", "a.json", "--confg", "b.json"]);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain("unknown option '--confg'");
    expect(flag.err).toContain("Did you mean --config?");
    const stray = parse(["--config", "a.json", "extra"]);
    expect(stray.code).toBe(2);
    expect(stray.err).toContain("too many arguments");
  });

  it("--help and --version print and exit 0", () => {
    const help = parse(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("--config <file.json>");
    expect(help.out).toContain("Exit codes");
    const version = parse(["--version"]);
    expect(version.code).toBe(0);
    expect(version.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
