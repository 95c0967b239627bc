import { z } from "zod";

export const commands = ["up", "down", "status"] as const;
export type Command = (typeof commands)[number];

const argsSchema = z
  .array(z.string())
  .length(1, { message: "expected exactly one command" })
  .transform((a) => a[0])
  .pipe(z.enum(commands, { message: `the command is one of: ${commands.join(", ")}` }));

export const usage = `usage: pnpm stack <up | down | status>
  up      start (or reuse) PostgreSQL per region, Kafka (KRaft) and Redis; write .stack/endpoints.json
  down    stop everything the stack started and check that no process or port is left
  status  show whether each part is healthy (exit 1 if any is not)`;

export type ParsedArgs =
  { ok: true; command: Command } | { ok: false; help: boolean; error: string };

/** Parses the CLI arguments (after the script name). Pure: never exits or prints. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const args = argv.filter((a) => a !== "--");
  if (args.some((a) => a === "-h" || a === "--help" || a === "help"))
    return { ok: false, help: true, error: "" };
  const result = argsSchema.safeParse(args);
  if (result.success) return { ok: true, command: result.data };
  const got = args.length === 0 ? "nothing" : args.map((a) => `'${a}'`).join(" ");
  return {
    ok: false,
    help: false,
    error: `unknown arguments (${got}): ${result.error.issues[0]?.message ?? "invalid"}`,
  };
}
