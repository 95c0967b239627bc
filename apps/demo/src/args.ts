import { createProgram, parseArgv, parseFlags, wholeNumberFlag } from "@georep/command-line";
import type { OutputConfiguration } from "@georep/command-line";
import { z } from "zod";

const flagsSchema = z.object({
  reports: wholeNumberFlag(1, 1_000_000, "--reports 3000"),
  seed: wholeNumberFlag(0, Number.MAX_SAFE_INTEGER, "--seed 42").optional(),
  keep: z.boolean().default(false),
});

export type DemoArgs = z.output<typeof flagsSchema>;

/**
 * The demo's command line: `[--reports 3000] [--seed 42] [--keep]` (and --help).
 * @throws CommanderError, already printed: exit code 0 after --help, 2 after a usage error.
 */
export function parseDemoArgs(argv: readonly string[], output?: OutputConfiguration): DemoArgs {
  const program = createProgram("pnpm demo", {
    description:
      "Three regions accept camera counts at once; georep replicates them; the demo proves every region ends identical and equal to what was sent. Exits 1 if not.",
    ...(output === undefined ? {} : { output }),
  })
    .option("--reports <n>", "camera reports per region", "3000")
    .option("--seed <s>", "seed of the cameras' random reports (default: from the clock)")
    .option("--keep", "keep the demo databases for inspection");
  parseArgv(program, argv);
  return parseFlags(program, flagsSchema);
}
