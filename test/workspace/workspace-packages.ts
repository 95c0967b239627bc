import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface WorkspacePackage {
  /** Folder relative to the repository root ("" for the root). */
  readonly dir: string;
  readonly manifest: Record<string, unknown>;
}

/** The `packages:` globs of pnpm-workspace.yaml ("packages/*", "test", ...). */
function workspaceGlobs(root: string): string[] {
  const yaml = readFileSync(join(root, "pnpm-workspace.yaml"), "utf8");
  const globs: string[] = [];
  let inPackages = false;
  for (const line of yaml.split("\n")) {
    if (/^\S/.test(line)) inPackages = line.startsWith("packages:");
    else if (inPackages) {
      const item = /^\s+-\s+["']?([^"'\s]+)["']?\s*$/.exec(line)?.[1];
      if (item !== undefined) globs.push(item);
    }
  }
  return globs;
}

/**
 * Every package of the workspace as it is on disk now (the root included), so a package added
 * later is covered without editing a list. Supports the globs georep uses: `dir` and `dir/*`.
 */
export function workspacePackages(root: string): WorkspacePackage[] {
  const dirs = [""];
  for (const glob of workspaceGlobs(root)) {
    if (glob.endsWith("/*")) {
      const parent = glob.slice(0, -2);
      for (const entry of readdirSync(join(root, parent), { withFileTypes: true }))
        if (entry.isDirectory()) dirs.push(`${parent}/${entry.name}`);
    } else dirs.push(glob);
  }
  return dirs
    .filter((dir) => existsSync(join(root, dir, "package.json")))
    .map((dir) => ({
      dir,
      manifest: JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as Record<
        string,
        unknown
      >,
    }));
}
