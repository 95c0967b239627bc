import { createProgram, parseArgv } from "@georep/command-line";
import type { OutputConfiguration } from "@georep/command-line";

export const commands = {
  up: "start (or reuse) PostgreSQL per region, Kafka (KRaft) and Redis; write .stack/endpoints.json",
  down: "stop everything the stack started and check that no process or port is left",
  status: "show whether each part is healthy (exit 1 if any is not)",
} as const;
export type Command = keyof typeof commands;

/**
 * `pnpm stack <up | down | status>`. Pure apart from printing help and errors to `output`.
 * @throws CommanderError, already printed: exit code 0 after --help or `help`, 2 after a usage
 *   error (no command, an unknown one, an extra argument or flag).
 */
export function parseStackArgs(argv: readonly string[], output?: OutputConfiguration): Command {
  const program = createProgram("pnpm stack", {
    description: "The local stack: PostgreSQL per region, Kafka (KRaft) and Redis.",
    ...(output === undefined ? {} : { output }),
  });
  let chosen: Command | undefined;
  for (const [name, description] of Object.entries(commands) as Array<[Command, string]>)
    program
      .command(name)
      .description(description)
      .action(() => {
        chosen = name;
      });
  parseArgv(program, argv);
  // Commander runs an action or throws; this is for the type checker.
  if (chosen === undefined) throw new Error("pnpm stack: no command was chosen");
  return chosen;
}
