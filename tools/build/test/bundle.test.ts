import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BuildError, bundleApp, packageName, undeclaredExternals } from "../bundle.ts";

/** A throwaway app: package.json and src/main.ts. */
function app(manifest: Record<string, unknown>, main: string): string {
  const dir = mkdtempSync(join(tmpdir(), "georep-build-"));
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "@georep/x", ...manifest }));
  writeFileSync(join(dir, "src/main.ts"), main);
  return dir;
}

describe("packageName", () => {
  it("keeps the scope and drops subpaths", () => {
    expect(packageName("@scope/pkg/sub/path.js")).toBe("@scope/pkg");
    expect(packageName("kafkajs/src/protocol")).toBe("kafkajs");
    expect(packageName("pg")).toBe("pg");
  });
});

describe("undeclaredExternals", () => {
  it("lists external npm imports the app does not depend on, ignoring builtins", () => {
    const external = (path: string) => ({
      path,
      kind: "import-statement" as const,
      external: true,
    });
    const metafile = {
      inputs: {
        "src/main.ts": {
          bytes: 1,
          imports: [external("pg"), external("node:fs"), external("events"), external("kafkajs/x")],
        },
        "../lib.ts": { bytes: 1, imports: [{ path: "./y.ts", kind: "import-statement" as const }] },
      },
      outputs: {},
    };
    expect(undeclaredExternals(metafile, { pg: "^8" })).toEqual({
      externals: ["kafkajs", "pg"],
      missing: [{ name: "kafkajs", importer: "src/main.ts" }],
    });
  });
});

describe("bundleApp", () => {
  it("writes the bin as an executable for plain node, with one #! line", async () => {
    const dir = app(
      { bin: { x: "./dist/x.mjs" }, dependencies: { zod: "^4" } },
      '#!/usr/bin/env -S npx tsx\nimport { z } from "zod";\nconst n: number = 1;\nconsole.log(z, n);\n',
    );
    const built = await bundleApp(dir);
    expect(built).toMatchObject({ bin: "x", outfile: join(dir, "dist/x.mjs"), externals: ["zod"] });
    const text = readFileSync(built.outfile, "utf8");
    expect(text.startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(text.match(/^#!/gm)).toHaveLength(1);
    expect(text).toMatch(/from "zod"/);
    expect(statSync(built.outfile).mode & 0o111).toBe(0o111);
  });

  it("refuses an npm import the app does not declare, and writes nothing", async () => {
    const dir = app({ bin: { x: "./dist/x.mjs" } }, 'import "kafkajs";\n');
    await expect(bundleApp(dir)).rejects.toThrow(BuildError);
    await expect(bundleApp(dir)).rejects.toThrow(
      /imports kafkajs \(from src\/main\.ts\).*add kafkajs/,
    );
    expect(() => statSync(join(dir, "dist/x.mjs"))).toThrow();
  });

  it("needs exactly one bin", async () => {
    const dir = app({ bin: { a: "./dist/a.mjs", b: "./dist/b.mjs" } }, "");
    await expect(bundleApp(dir)).rejects.toThrow(/exactly one "bin" entry \(got 2\)/);
  });
});
