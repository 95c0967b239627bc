// Passwords of the secure stack: one file per secret under `.stack/secure/secrets/`, mode 0600,
// random on first use and reused after (a broker formatted with a password must keep it).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { StackError } from "./errors.ts";

/**
 * The secret `name` under `dir`, created (32 random bytes, hex: safe in JAAS lines, URLs and
 * `[key=value]` lists alike) when missing. Returns its file and value.
 * @throws StackError when the file exists but is empty.
 */
export function ensureSecret(dir: string, name: string): { file: string; value: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, name);
  if (!existsSync(file))
    writeFileSync(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  const value = readFileSync(file, "utf8").trim();
  if (value === "")
    throw new StackError(
      `the secret file ${file} is empty`,
      `delete it; the next 'up' writes a new one`,
    );
  return { file, value };
}
