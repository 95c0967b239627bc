import type { z } from "zod";

/**
 * The first problem zod found, as georep's config errors state it: the dotted field path (empty
 * for the root) and "<field> <what is wrong>", ready to follow a "what was being read:" prefix.
 */
export function firstIssue(error: z.ZodError): { field: string; text: string } {
  const issue = error.issues[0];
  const field = issue?.path.join(".") ?? "";
  return { field, text: `${field || "(root)"} ${issue?.message ?? "is invalid"}` };
}
