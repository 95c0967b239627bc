import { createProgram, parseArgv, parseFlags } from "@georep/command-line";
import type { OutputConfiguration } from "@georep/command-line";
import { z } from "zod";
import packageJson from "../package.json" with { type: "json" };

const flagsSchema = z.object({
  config: z.string().min(1, { message: "needs a file, e.g. --config us-east.json" }),
});

export type ReplicatorArgs = z.output<typeof flagsSchema>;

/**
 * The replicator's command line: `--config <file.json>` (and --help, --version).
 * @throws CommanderError, already printed: exit code 0 after --help or --version, 2 after a
 *   usage error (a missing --config, an unknown flag).
 */
export function parseReplicatorArgs(
  argv: readonly string[],
  output?: OutputConfiguration,
): ReplicatorArgs {
  const program = createProgram("georep-replicator", {
    description:
      "One region's replicator: capture (reader and shipper) and merge. SIGTERM stops it gracefully.",
    version: packageJson.version,
    ...(output === undefined ? {} : { output }),
  })
    .requiredOption("--config <file.json>", "the region's replicator config (docs/operate.md)")
    .addHelpText(
      "after",
      "\nExit codes: 0 stopped by SIGTERM or SIGINT; 1 a role failed or leadership was lost (restart it);\n2 a bad flag or config (restarting does not help: fix the message's field).",
    );
  parseArgv(program, argv);
  return parseFlags(program, flagsSchema);
}
