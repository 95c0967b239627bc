import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  CommanderError,
  createProgram,
  parseArgv,
  parseFlags,
  runProgram,
  UsageError,
  wholeNumberFlag,
} from "../src/index.ts";
import type { Command } from "../src/index.ts";

/** A program printing into strings instead of stdout and stderr. */
function captured(version?: string): { program: Command; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const program = createProgram("tool", {
    description: "a test tool",
    ...(version === undefined ? {} : { version }),
    output: { writeOut: (s) => (out += s), writeErr: (s) => (err += s) },
  });
  return { program, out: () => out, err: () => err };
}

const exitCodeOf = (f: () => unknown): number | undefined => {
  try {
    f();
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
};

describe("parseFlags", () => {
  const schema = z
    .object({
      sinceMinutes: z.coerce.number().positive({ message: "must be above 0, e.g. 60" }),
      limit: wholeNumberFlag(1, 100, "--limit 10"),
      from: z.string().optional(),
      to: z.string().optional(),
    })
    .refine((f) => f.from === undefined || f.from !== f.to, {
      message: "--from and --to name the same region",
    });
  const run = (argv: string[]): { code?: number; err: string; flags?: unknown } => {
    const t = captured();
    t.program
      .option("--since-minutes <n>", "window", "1440")
      .option("--limit <n>", "entries", "10")
      .option("--from <r>", "from")
      .option("--to <r>", "to");
    let flags: unknown;
    const code = exitCodeOf(() => {
      parseArgv(t.program, argv);
      flags = parseFlags(t.program, schema);
    });
    return { ...(code === undefined ? { flags } : { code }), err: t.err() };
  };

  it("returns the typed flags", () => {
    expect(run(["--limit", "5"]).flags).toEqual({ sinceMinutes: 1440, limit: 5 });
  });

  it("names the flag as typed (not the attribute), the fix and what was given; exit 2", () => {
    expect(run(["--since-minutes", "0"])).toEqual({
      code: 2,
      err: 'error: --since-minutes must be above 0, e.g. 60 (got "0")\n(tool --help shows the usage)\n',
    });
    expect(run(["--limit", "x"]).err).toContain(
      'error: --limit must be a whole number, e.g. --limit 10 (got "x")',
    );
    expect(run(["--limit", "101"]).err).toContain(
      "--limit must be between 1 and 100, e.g. --limit 10",
    );
  });

  it("prints a check across flags as its message says it", () => {
    const r = run(["--from", "a", "--to", "a"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("error: --from and --to name the same region\n");
  });
});

describe("createProgram and parseArgv", () => {
  it("--version and --help exit 0 after printing to stdout", () => {
    const v = captured("1.2.3");
    expect(exitCodeOf(() => parseArgv(v.program, ["--version"]))).toBe(0);
    expect(v.out()).toBe("1.2.3\n");
    const h = captured();
    expect(exitCodeOf(() => parseArgv(h.program, ["--help"]))).toBe(0);
    expect(h.out()).toContain("Usage: tool");
  });

  it("unknown flags and commands exit 2 (commander's own 1 never leaks)", () => {
    const t = captured();
    t.program.command("run").action(() => undefined);
    expect(exitCodeOf(() => parseArgv(t.program, ["walk"]))).toBe(2);
    expect(t.err()).toContain("unknown command 'walk'");
    const f = captured();
    f.program.command("run").action(() => undefined);
    expect(exitCodeOf(() => parseArgv(f.program, ["run", "--fast"]))).toBe(2);
    expect(f.err()).toContain("unknown option '--fast'\n(tool run --help shows the usage)");
  });

  it("drops one leading `--`, as `pnpm <script> -- …` passes it", () => {
    const t = captured();
    let ran = false;
    t.program.command("run").action(() => {
      ran = true;
    });
    parseArgv(t.program, ["--", "run"]);
    expect(ran).toBe(true);
  });
});

describe("runProgram", () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  const withAction = (action: () => void): ReturnType<typeof captured> => {
    const t = captured();
    t.program.command("go").action(action);
    return t;
  };

  it("keeps the exit code the action set", async () => {
    const t = withAction(() => {
      process.exitCode = 1;
    });
    await runProgram(t.program, ["go"], { failureExitCode: 3 });
    expect(process.exitCode).toBe(1);
  });

  it("exits 2 on a UsageError the action throws, printing it", async () => {
    const t = withAction(() => {
      throw new UsageError("--region 'mars' is not configured; pick one of a, b", "--region");
    });
    await runProgram(t.program, ["go"], { failureExitCode: 3 });
    expect(process.exitCode).toBe(2);
    expect(t.err()).toBe("error: --region 'mars' is not configured; pick one of a, b\n");
  });

  it("exits with the failure code on any other error, printing it with its cause", async () => {
    const t = withAction(() => {
      throw new Error("repair of us-east failed", { cause: new Error("connection refused") });
    });
    await runProgram(t.program, ["go"], { failureExitCode: 3 });
    expect(process.exitCode).toBe(3);
    expect(t.err()).toBe("tool: repair of us-east failed\n  caused by: connection refused\n");
  });

  it("exits 2 on a usage error and 0 on --help", async () => {
    const t = withAction(() => undefined);
    await runProgram(t.program, ["go", "--nope"], { failureExitCode: 3 });
    expect(process.exitCode).toBe(2);
    const h = withAction(() => undefined);
    await runProgram(h.program, ["--help"], { failureExitCode: 3 });
    expect(process.exitCode).toBe(0);
  });
});
