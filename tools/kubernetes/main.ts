// `pnpm kubernetes:render`: writes deploy/kubernetes/<region>.yaml (manifests.ts),
// deploy/kubernetes/schema-apply/<region>.yaml (schema-apply.ts) and
// deploy/kubernetes/secret-examples/<region>.yaml (secret-examples.ts) for the example regions
// (regions.ts). `--check` writes nothing and exits 1 when a file is not what the
// template renders (the test suite runs it).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { stringify } from "yaml";
import { findRepoRoot } from "@georep/testkit";
import type { Manifest } from "./manifests.ts";
import { regionManifests } from "./manifests.ts";
import { exampleDeployment } from "./regions.ts";
import { schemaApplyManifests } from "./schema-apply.ts";
import { secretExamples } from "./secret-examples.ts";

const HEADER =
  "# Rendered by `pnpm kubernetes:render` from tools/kubernetes/ (regions.ts and the templates): edit there.\n";

const yamlOf = (docs: readonly Manifest[]): string =>
  HEADER +
  docs.map((doc) => stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");

const dir = join(findRepoRoot(import.meta.dirname), "deploy", "kubernetes");
const files = new Map<string, string>();
for (const region of exampleDeployment.regions) {
  files.set(join(dir, `${region.id}.yaml`), yamlOf(regionManifests(exampleDeployment, region)));
  files.set(
    join(dir, "schema-apply", `${region.id}.yaml`),
    yamlOf(schemaApplyManifests(exampleDeployment, region)),
  );
  files.set(
    join(dir, "secret-examples", `${region.id}.yaml`),
    yamlOf(secretExamples(exampleDeployment, region)),
  );
}

const check = process.argv.includes("--check");
const stale: string[] = [];
for (const [path, text] of files) {
  if (existsSync(path) && readFileSync(path, "utf8") === text) continue;
  if (check) {
    stale.push(relative(process.cwd(), path));
    continue;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  process.stdout.write(`wrote ${relative(process.cwd(), path)}\n`);
}
if (stale.length > 0) {
  process.stderr.write(
    `kubernetes: ${stale.join(", ")} differ from what tools/kubernetes renders: run 'pnpm kubernetes:render' and commit\n`,
  );
  process.exitCode = 1;
}
