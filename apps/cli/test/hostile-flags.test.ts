// Hostile argv for every georep command, run in-process (runProgram, as main.ts runs it): random
// flags, values, missing values, numbers out of range and config files that do not exist or
// cannot work. Each run prints help or the version and exits 0, or exits 2 with an "error: …"
// naming the flag, command or file at fault; never a stack trace, never another exit code.
// Configs never reach a database: every --config given here is missing or invalid.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, expect, it } from "vitest";
import { runProgram } from "@georep/command-line";
import type { Command } from "@georep/command-line";
import { propertyConfig, propertyParameters } from "@georep/crdt/testing";
import { exitCodes } from "../src/exit-codes.ts";
import { georepProgram } from "../src/program.ts";

const dir = mkdtempSync(join(tmpdir(), "georep-hostile-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const notJson = join(dir, "not-json.json");
writeFileSync(notJson, "{nope");
const badConfig = join(dir, "bad-config.json");
writeFileSync(badConfig, JSON.stringify({ region: "US", regions: [] }));
const CONFIGS = ["/nonexistent/us-east.json", "/nonexistent/eu-west.json", notJson, badConfig, dir];

const COMMANDS = [
  ["schema", "apply"],
  ["status"],
  ["verify"],
  ["repair"],
  ["rehome"],
  ["conflicts"],
  ["dlq", "list"],
  ["dlq", "replay"],
  ["audit"],
  ["dlq"],
  ["schema"],
  ["stauts"],
  [],
];
const FLAGS = [
  ...["--config", "--json", "--region", "--buckets", "--from", "--to", "--since-minutes"],
  ...["--table", "--limit", "--reason", "--id", "--help", "--version", "-h", "-V"],
  ...["--since", "--command"],
  ...["--limt", "--config=", "-x", "--", "---", "--no-json", "--json=false"],
];
const VALUES = [
  ...["-1", "0", "1", "1.5", "1e9", "65537", "100001", "NaN", "Infinity", "-0", "0x10", ""],
  ...["us-east", "eu-west", "US", "mars_1", "public.counting_results", "Public.X"],
  ...["rejected", "clock-skew", "lock-timeout", "nope", "12", "0012", "99999999999999999999"],
  ...["24h", "0d", "2026-01-31", "2026-13-45T99:99Z", "region add", "repair"],
  ...["\u0000", "é", "'; DROP TABLE x; --", "x".repeat(5_000)],
];

const tokenArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FLAGS) },
  { weight: 3, arbitrary: fc.constantFrom(...VALUES) },
  { weight: 2, arbitrary: fc.constantFrom(...CONFIGS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
/** A command, mostly with --config (a file that cannot work) so flag checks run past it. */
const argvArb = fc
  .tuple(
    fc.constantFrom(...COMMANDS),
    fc.option(fc.array(fc.constantFrom(...CONFIGS), { minLength: 1, maxLength: 2 }), {
      freq: 4,
    }),
    fc.array(tokenArb, { maxLength: 6 }),
  )
  .map(([command, configs, rest]) => [
    ...command,
    ...(configs === null ? [] : ["--config", ...configs]),
    ...rest,
  ]);

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** `georep <argv>` in this process, its output captured and process.exitCode restored. */
async function georep(argv: readonly string[]): Promise<Run> {
  const program = georepProgram();
  let out = "";
  let err = "";
  const capture = (c: Command): void => {
    c.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
    c.commands.forEach(capture);
  };
  capture(program);
  const saved = process.exitCode;
  process.exitCode = undefined;
  try {
    await runProgram(program, argv, { failureExitCode: exitCodes.failed });
    const code: unknown = process.exitCode;
    return { code: typeof code === "number" ? code : Number(code ?? 0), out, err };
  } finally {
    process.exitCode = saved;
  }
}

const STACK_FRAME = /\n\s+at .+:\d+:\d+\)?$/m;

it("every hostile argv exits 0 with help or version, or 2 naming what is wrong", async () => {
  const config = propertyConfig(process.env, 150);
  const { seed } = config;
  const codes = new Map<number, number>();
  let tried = 0;
  await fc.assert(
    fc.asyncProperty(argvArb, async (argv) => {
      tried++;
      const shown = JSON.stringify(argv.map((a) => (a.length > 40 ? `${a.slice(0, 40)}…` : a)));
      const started = performance.now();
      const run = await georep(argv);
      expect(performance.now() - started, shown).toBeLessThan(5_000);
      codes.set(run.code, (codes.get(run.code) ?? 0) + 1);
      expect([exitCodes.ok, exitCodes.usage], `${shown}: ${run.err}`).toContain(run.code);
      expect(run.err, shown).not.toMatch(STACK_FRAME);
      if (run.code === exitCodes.ok) {
        expect(run.out.trim(), shown).not.toBe("");
        return;
      }
      expect(run.err, shown).toMatch(/^error: |Usage: georep/);
      // Names the flag, the command or the argument at fault, or the config file.
      expect(run.err, shown).toMatch(/--[a-z]|command|argument|Usage: georep/);
    }),
    propertyParameters(config),
  );
  console.log(
    `hostile CLI flags: ${tried} cases tried (seed ${seed}, replay with GEOREP_SEED=${seed}); ` +
      `exit codes ${JSON.stringify(Object.fromEntries(codes))}`,
  );
});
