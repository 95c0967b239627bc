// The alert rules operators load into Prometheus: valid, behaving as their unit tests say, and
// watching only series georep really exports (a renamed metric must not silence an alert).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { createMergerMetrics } from "@georep/merger/testing";
import { createMetrics } from "@georep/observability";
import { findRepoRoot } from "@georep/testkit";

const dir = join(findRepoRoot(), "deploy", "prometheus");

it("passes promtool's rule check and the rules' own unit tests", () => {
  // promtool comes with Debian's prometheus package (tools/bootstrap.sh installs it).
  const check = execFileSync("promtool", ["check", "rules", "georep-alerts.yml"], { cwd: dir });
  expect(check.toString()).toMatch(/SUCCESS: \d+ rules found/);
  const test = execFileSync("promtool", ["test", "rules", "georep-alerts.test.yml"], { cwd: dir });
  expect(test.toString()).toMatch(/SUCCESS/);
});

it("uses only metric names the merger exports", async () => {
  const metrics = createMetrics();
  createMergerMetrics(metrics);
  const exported = new Set(
    [...(await metrics.render()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]),
  );
  const rules = readFileSync(join(dir, "georep-alerts.yml"), "utf8");
  const used = [...rules.matchAll(/expr: .*?\b(georep_[a-z_]+)/g)].map((m) => m[1]);
  expect(used.length).toBeGreaterThan(0);
  for (const name of used) expect(exported, `${name} is not exported`).toContain(name);
});
