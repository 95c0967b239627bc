import { spawn } from "node:child_process";
import { join } from "node:path";
import { type Endpoints, readEndpoints } from "./endpoints.ts";
import { findRepoRoot } from "./repo-root.ts";

let pending: Promise<Endpoints> | undefined;

/**
 * Runs `tsx tools/stack/main.ts <args>` (`up`, `secure up`) from the repository root; its output
 * reaches the terminal only when it fails.
 */
export function runStack(root: string, args: readonly string[] = ["up"]): Promise<void> {
  const command = `pnpm stack ${args.join(" ")}`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(root, "node_modules", ".bin", "tsx"),
      ["tools/stack/main.ts", ...args],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
        env: process.env,
      },
    );
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", (cause) => {
      reject(
        new Error(`Could not run \`${command}\` in ${root}: run \`pnpm install\` first.`, {
          cause,
        }),
      );
    });
    child.on("close", (code, signal) => {
      if (code === 0) {
        resolve();
        return;
      }
      const output = Buffer.concat(chunks).toString("utf8");
      // Only on failure does the stack's own output reach the terminal.
      process.stderr.write(output);
      const tail = output.trim().split("\n").slice(-15).join("\n");
      reject(new Error(`\`${command}\` failed (${signal ?? `exit ${code}`}):\n${tail}`));
    });
  });
}

/**
 * Brings the local stack up (idempotent: running parts are reused) and returns its endpoints.
 * Runs `tsx tools/stack/main.ts up` from the repository root once per process; its output is
 * shown only when it fails.
 * @throws Error with the tail of the stack's output when `up` fails.
 */
export function ensureStackUp(): Promise<Endpoints> {
  pending ??= (async () => {
    const root = findRepoRoot();
    await runStack(root);
    return readEndpoints(join(root, ".stack", "endpoints.json"));
  })();
  pending.catch(() => {
    pending = undefined;
  });
  return pending;
}
