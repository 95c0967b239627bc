// Compiles an app to one JavaScript file that `node` runs without tsx: esbuild bundles the app's
// `src/main.ts` and every `@georep/*` workspace package it imports (they are TypeScript sources
// with `.ts` import specifiers), and leaves npm packages external, to be resolved from the app's
// node_modules at run time. The output path is the app's `bin` in its package.json: one
// definition of where the executable lives.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative } from "node:path";
import { build } from "esbuild";
import type { Metafile, Plugin } from "esbuild";

export interface BuiltApp {
  /** The bin name (`georep`, `georep-replicator`). */
  readonly bin: string;
  /** Absolute path of the executable `.mjs`. */
  readonly outfile: string;
  readonly bytes: number;
  /** npm packages the bundle imports (resolved from the app's node_modules when it runs). */
  readonly externals: readonly string[];
}

/** A build that cannot be deployed as it is; the message names the fix. */
export class BuildError extends Error {
  override readonly name = "BuildError";
}

interface AppManifest {
  readonly name: string;
  readonly bin?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

const builtins = new Set(builtinModules);
const isBuiltin = (specifier: string): boolean =>
  specifier.startsWith("node:") || builtins.has(packageName(specifier));

/** Workspace packages (`@georep/*`) are bundled from source; every other package stays external. */
const npmPackagesExternal: Plugin = {
  name: "npm-packages-external",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@georep/") ? undefined : { path: args.path, external: true },
    );
  },
};

/** Removes a `#!` line from the entry (esbuild would keep it above the banner's). */
const stripShebang = (entry: string): Plugin => ({
  name: "strip-shebang",
  setup(b) {
    b.onLoad({ filter: /main\.ts$/ }, (args) =>
      args.path === entry
        ? { contents: readFileSync(entry, "utf8").replace(/^#![^\n]*\n/, ""), loader: "ts" }
        : undefined,
    );
  },
});

/**
 * The npm packages the bundle imports that the app's package.json does not depend on: they would
 * resolve in this workspace (through another package's node_modules) but not where the app is
 * deployed on its own.
 */
export function undeclaredExternals(
  metafile: Metafile,
  dependencies: Record<string, string>,
): { externals: string[]; missing: Array<{ name: string; importer: string }> } {
  const externals = new Set<string>();
  const missing = new Map<string, string>();
  for (const [importer, input] of Object.entries(metafile.inputs)) {
    for (const imported of input.imports) {
      if (imported.external !== true || isBuiltin(imported.path)) continue;
      const name = packageName(imported.path);
      externals.add(name);
      if (!(name in dependencies) && !missing.has(name)) missing.set(name, importer);
    }
  }
  return {
    externals: [...externals].sort(),
    missing: [...missing].map(([name, importer]) => ({ name, importer })),
  };
}

/**
 * Bundles `<appDir>/src/main.ts` into the file its package.json's single `bin` names.
 * @throws BuildError when the app has no single bin, or imports an npm package it does not
 *   declare as a dependency; esbuild's own error when the sources do not compile.
 */
export async function bundleApp(appDir: string): Promise<BuiltApp> {
  const manifest = JSON.parse(readFileSync(join(appDir, "package.json"), "utf8")) as AppManifest;
  const bins = Object.entries(manifest.bin ?? {});
  const [only] = bins;
  if (bins.length !== 1 || only === undefined)
    throw new BuildError(
      `${manifest.name}: package.json needs exactly one "bin" entry (got ${bins.length}), e.g. "bin": { "georep": "./dist/georep.mjs" }`,
    );
  const [bin, target] = only;
  const outfile = join(appDir, target);
  const result = await build({
    absWorkingDir: appDir,
    entryPoints: [join(appDir, "src/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20.19",
    sourcemap: "linked",
    metafile: true,
    write: false,
    logLevel: "warning",
    // The sources' own shebang (`npx tsx`) is replaced: the executable runs on plain node.
    banner: { js: "#!/usr/bin/env node" },
    plugins: [npmPackagesExternal, stripShebang(join(appDir, "src/main.ts"))],
  });
  const { externals, missing } = undeclaredExternals(result.metafile, manifest.dependencies ?? {});
  if (missing.length > 0)
    throw new BuildError(
      `${manifest.name}: the bundle imports ${missing.map((m) => `${m.name} (from ${m.importer})`).join(", ")}, ` +
        `which its package.json does not list in "dependencies": add ${missing.map((m) => m.name).join(", ")} ` +
        `there with the same version range as the importing package, or it will not resolve where the app is deployed`,
    );
  // Written only once the check passed: a dist/ that exists is one that deploys.
  mkdirSync(dirname(outfile), { recursive: true });
  for (const file of result.outputFiles) writeFileSync(file.path, file.contents);
  chmodSync(outfile, 0o755);
  const output = result.metafile.outputs[relative(appDir, outfile)];
  return { bin, outfile, bytes: output?.bytes ?? 0, externals };
}
