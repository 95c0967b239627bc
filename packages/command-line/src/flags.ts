import type { Command } from "commander";
import { z } from "zod";
import { EXIT_USAGE } from "./program.ts";

/**
 * A command's option values checked with a zod schema whose keys are commander's attribute names
 * (`sinceMinutes` for `--since-minutes`) and whose messages say the fix ("must be between 1 and
 * 10000"). Call it first in the action, before reading a file or connecting.
 * @throws CommanderError (`EXIT_USAGE`) after printing `error: --limit must be … (got "0")`.
 */
export function parseFlags<S extends z.ZodType>(command: Command, schema: S): z.output<S> {
  const parsed = schema.safeParse(command.opts());
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.path[0];
  const option = command.options.find((o) => o.attributeName() === key);
  const flag = option?.long ?? (key === undefined ? undefined : `--${String(key)}`);
  const given: unknown = key === undefined ? undefined : command.getOptionValue(String(key));
  const got = given === undefined ? undefined : `(got ${JSON.stringify(given)})`;
  const words = ["error:", flag, issue?.message ?? "is invalid", got];
  command.error(words.filter((w) => w !== undefined).join(" "), {
    exitCode: EXIT_USAGE,
    code: "georep.invalidFlag",
  });
}

/**
 * A flag holding a whole number in [min, max]; `example` (e.g. "--limit 100") shows the fix:
 * "must be between 1 and 10000, e.g. --limit 100".
 */
export function wholeNumberFlag(min: number, max: number, example: string): z.ZodCoercedNumber {
  return z.coerce
    .number({ message: `must be a whole number, e.g. ${example}` })
    .int({ message: `must be a whole number, e.g. ${example}` })
    .min(min, { message: `must be between ${min} and ${max}, e.g. ${example}` })
    .max(max, { message: `must be between ${min} and ${max}, e.g. ${example}` });
}
