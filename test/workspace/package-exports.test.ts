import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { findRepoRoot } from "@georep/testkit";
import { workspacePackages } from "./workspace-packages.ts";

const root = findRepoRoot();

/** Every file path a manifest points at: "exports" (any nesting of conditions), "main", "bin". */
function targets(manifest: Record<string, unknown>): Array<{ field: string; path: string }> {
  const out: Array<{ field: string; path: string }> = [];
  const walk = (field: string, value: unknown): void => {
    if (typeof value === "string") out.push({ field, path: value });
    else if (typeof value === "object" && value !== null)
      for (const [key, inner] of Object.entries(value)) walk(`${field}[${key}]`, inner);
  };
  walk("exports", manifest["exports"]);
  walk("main", manifest["main"]);
  walk("bin", manifest["bin"]);
  return out;
}

/** A target exists; one with a `*` needs at least one file in the folder before it. */
function exists(file: string): boolean {
  if (!file.includes("*")) return existsSync(file);
  const folder = dirname(file.slice(0, file.indexOf("*")));
  return existsSync(folder) && readdirSync(folder).length > 0;
}

describe("workspace package.json files", () => {
  const packages = workspacePackages(root);
  /** "<dir>/package.json <field>" of every entry whose file is missing, with that file. */
  const dangling = (): Array<{ entry: string; target: string }> =>
    packages.flatMap(({ dir, manifest }) =>
      targets(manifest)
        .filter(({ path }) => !exists(join(root, dir, path)))
        .map(({ field, path }) => ({
          entry: `${join(dir, "package.json")} ${field}`,
          target: path,
        })),
    );

  it("are found, the root and every package under packages/ and apps/", () => {
    const dirs = packages.map((p) => p.dir);
    expect(dirs).toContain("");
    expect(dirs).toContain("packages/crdt");
    expect(dirs).toContain("apps/replicator");
  });

  it("point their exports, main and bin only at files that exist", () => {
    const missing = dangling().map(({ entry, target }) => `${entry}: ${target}`);
    expect(missing, "remove the entry, or add the file if something imports it").toEqual([]);
  });
});
