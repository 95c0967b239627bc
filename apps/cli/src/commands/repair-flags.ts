import { z } from "zod";
import { regionIdSchema } from "@georep/schema";
import { CliUsageError } from "../errors.ts";
import type { RepairFlags } from "./repair.ts";

/** Flags of `georep repair`, validated before any connection is made. */
const flagsSchema = z.object({
  region: regionIdSchema.optional(),
  buckets: z.coerce
    .number({ message: "must be a whole number, e.g. --buckets 256" })
    .int({ message: "must be a whole number, e.g. --buckets 256" })
    .min(1, { message: "must be between 1 and 65536" })
    .max(65_536, { message: "must be between 1 and 65536" }),
  json: z.boolean().optional(),
});

/** @throws CliUsageError naming the flag and the fix. */
export function parseRepairFlags(flags: unknown, terminal: boolean): RepairFlags {
  const parsed = flagsSchema.safeParse(flags);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = `--${String(issue?.path[0] ?? "")}`;
    throw new CliUsageError(`${flag} ${issue?.message ?? "is invalid"}`, flag, {
      cause: parsed.error,
    });
  }
  const { region, buckets, json } = parsed.data;
  return {
    ...(region === undefined ? {} : { region }),
    buckets,
    progress: terminal && json !== true,
  };
}
