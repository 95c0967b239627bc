import type { z } from "zod";

/** The field of a problem with the input as a whole (not an object, say): never empty. */
export const ROOT_FIELD = "(root)";

/**
 * The first problem zod found, as georep's config errors state it: the dotted field path
 * (ROOT_FIELD for the input as a whole) and "<field> <what is wrong>", ready to follow a "what was
 * being read:" prefix.
 */
export function firstIssue(error: z.ZodError): { field: string; text: string } {
  const issue = error.issues[0];
  const field = issue?.path.join(".") || ROOT_FIELD;
  return { field, text: `${field} ${issue?.message ?? "is invalid"}` };
}
