import { describe, expect, it } from "vitest";
import { parseArgs } from "../args.ts";

describe("parseArgs", () => {
  it.each(["up", "down", "status"] as const)("accepts %s", (command) => {
    expect(parseArgs([command])).toEqual({ ok: true, command });
  });

  it("ignores the `--` pnpm may pass through", () => {
    expect(parseArgs(["--", "up"])).toEqual({ ok: true, command: "up" });
  });

  it("asks for help on -h, --help and help", () => {
    for (const a of ["-h", "--help", "help"])
      expect(parseArgs([a])).toEqual({ ok: false, help: true, error: "" });
  });

  it("names the unknown command and the valid ones", () => {
    expect(parseArgs(["start"])).toEqual({
      ok: false,
      help: false,
      error: "unknown arguments ('start'): the command is one of: up, down, status",
    });
  });

  it("refuses no command and extra arguments", () => {
    expect(parseArgs([])).toMatchObject({
      ok: false,
      error: "unknown arguments (nothing): expected exactly one command",
    });
    expect(parseArgs(["up", "now"])).toMatchObject({
      ok: false,
      error: "unknown arguments ('up' 'now'): expected exactly one command",
    });
  });
});
