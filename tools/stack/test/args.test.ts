import { describe, expect, it } from "vitest";
import { captureParse } from "@georep/command-line/testing";
import type { CapturedParse } from "@georep/command-line/testing";
import { parseStackArgs } from "../args.ts";
import type { Command } from "../args.ts";

const parse = (argv: string[]): CapturedParse<Command> =>
  captureParse((output) => parseStackArgs(argv, output));

describe("parseStackArgs", () => {
  it.each(["up", "down", "status"] as const)("accepts %s", (command) => {
    expect(parse([command]).value).toBe(command);
  });

  it("accepts cluster up and cluster down", () => {
    expect(parse(["cluster", "up"]).value).toBe("cluster up");
    expect(parse(["cluster", "down"]).value).toBe("cluster down");
  });

  it("ignores the `--` pnpm may pass through", () => {
    expect(parse(["--", "up"]).value).toBe("up");
  });

  it("shows the commands on -h, --help and help, and exits 0", () => {
    for (const a of ["-h", "--help", "help"]) {
      const r = parse([a]);
      expect(r.code).toBe(0);
      expect(r.out).toContain("Usage: pnpm stack");
      for (const command of ["up", "down", "status"]) expect(r.out).toContain(command);
    }
  });

  it("names an unknown command, suggests the near one and exits 2", () => {
    const r = parse(["stat"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command 'stat'");
    expect(r.err).toContain("Did you mean status?");
    expect(r.err).toContain("(pnpm stack --help shows the usage)");
  });

  it("refuses no command with the usage, and extra arguments or flags, with exit 2", () => {
    const none = parse([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain("Usage: pnpm stack");
    const extra = parse(["up", "now"]);
    expect(extra.code).toBe(2);
    expect(extra.err).toContain("too many arguments for 'up'");
    const flag = parse(["up", "--force"]);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain("unknown option '--force'");
    expect(flag.err).toContain("(pnpm stack up --help shows the usage)");
  });
});
