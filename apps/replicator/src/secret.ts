// Secrets (passwords, private keys) never sit in a config file: the config names where each one
// is, an environment variable or a file, and it is read once at start. The value travels wrapped
// in a Secret, whose every printable form is "[redacted]", so a config or an error object that
// reaches a log line, /metrics or a message cannot carry it.
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { z } from "zod";
import { ConfigError } from "./config-error.ts";

/** Where a secret is: `{ "env": "NAME" }` or `{ "file": "/path" }` (trailing newline dropped). */
export const secretRefSchema = z.union(
  [
    z
      .object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a variable name") })
      .strict(),
    z.object({ file: z.string().min(1, "must be a file path") }).strict(),
  ],
  {
    error:
      'must say where the secret is: { "env": "VARIABLE" } or { "file": "/path/to/file" }; never the secret itself',
  },
);
export type SecretRef = z.infer<typeof secretRefSchema>;

/** Refinement for URLs: a password in one would sit in the config. */
export const URL_WITHOUT_PASSWORD = [
  (url: string): boolean => {
    try {
      return new URL(url).password === "";
    } catch {
      return true; // the URL check itself reports a malformed one
    }
  },
  {
    message:
      'must not carry a password: remove it from the URL and give it as a secret reference beside it, "password": { "file": "/path" } or { "env": "NAME" }',
  },
] as const;

const REDACTED = "[redacted]";

/** A secret value that prints as "[redacted]" everywhere; `reveal()` is the one way to it. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}

/**
 * Reads the secret `ref` points to. `field` is the config field, for the message.
 * @throws ConfigError naming the field, the variable or file, and the fix.
 */
export function readSecret(
  ref: SecretRef,
  field: string,
  env: NodeJS.ProcessEnv = process.env,
): Secret {
  if ("env" in ref) {
    const value = env[ref.env];
    if (value === undefined || value === "")
      throw new ConfigError(
        `${field}: environment variable ${ref.env} is not set; export it, or point ${field} at a file ({ "file": "/path" })`,
        field,
      );
    return new Secret(value);
  }
  let text: string;
  try {
    text = readFileSync(ref.file, "utf8");
  } catch (error) {
    // The message names the path only: the file's content never reaches an error.
    throw new ConfigError(
      `${field}: cannot read secret file '${ref.file}' (${(error as NodeJS.ErrnoException).code ?? "unreadable"}); create it readable by this process, or point ${field} elsewhere`,
      field,
      { cause: error },
    );
  }
  const value = text.replace(/\r?\n$/, "");
  if (value === "")
    throw new ConfigError(
      `${field}: secret file '${ref.file}' is empty; write the secret into it`,
      field,
    );
  return new Secret(value);
}
