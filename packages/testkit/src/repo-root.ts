import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository root: the nearest folder at or above `start` holding `pnpm-workspace.yaml`.
 * Defaults to this file's location, so it works from any working directory.
 * @throws Error when no such folder exists above `start`.
 */
export function findRepoRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `No pnpm-workspace.yaml found at or above ${start}: is this the georep repository?`,
      );
    }
    dir = parent;
  }
}

/** `<repo>/.stack`: where the local stack keeps its data, logs and endpoints (git-ignored). */
export function stackDir(root: string = findRepoRoot()): string {
  return join(root, ".stack");
}
