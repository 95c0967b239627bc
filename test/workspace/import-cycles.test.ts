import { join } from "node:path";
import madge from "madge";
import { expect, it } from "vitest";
import { findRepoRoot } from "@georep/testkit";

// Lint's import-x/no-cycle ignores `import type` (no runtime effect), but a type-only cycle still
// ties two modules together that a reader has to understand at once. madge follows type imports.
it("no module of a package or app imports itself back, type imports included", async () => {
  const root = findRepoRoot();
  const graph = await madge([join(root, "packages"), join(root, "apps")], {
    fileExtensions: ["ts"],
    excludeRegExp: [/node_modules/, /[/\\]test[/\\]/, /[/\\]bench[/\\]/],
    detectiveOptions: { ts: { skipTypeImports: false } },
  });
  expect(Object.keys(graph.obj()).length).toBeGreaterThan(100);
  expect(graph.circular()).toEqual([]);
}, 60_000);
