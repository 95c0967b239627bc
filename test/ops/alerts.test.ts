// The alert rules and the dashboard operators load: valid, behaving as their unit tests say, and
// explained in docs/monitoring.md. That the replicators export every metric they query is
// checked against live processes by metrics-exported.int.test.ts.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { findRepoRoot } from "@georep/testkit";
import {
  alertNames,
  panelQueries,
  queriedMetrics,
  readDashboard,
  rulesDir,
} from "./queried-metrics.ts";

it("passes promtool's rule check and the rules' own unit tests", () => {
  // promtool comes with Debian's prometheus package (tools/bootstrap.sh installs it).
  const check = execFileSync("promtool", ["check", "rules", "georep-alerts.yml"], {
    cwd: rulesDir,
  });
  expect(check.toString()).toMatch(/SUCCESS: \d+ rules found/);
  const test = execFileSync("promtool", ["test", "rules", "georep-alerts.test.yml"], {
    cwd: rulesDir,
  });
  expect(test.toString()).toMatch(/SUCCESS/);
});

it("tests every alert firing and not firing", () => {
  const tests = readFileSync(join(rulesDir, "georep-alerts.test.yml"), "utf8");
  for (const alert of alertNames()) {
    const evals = [
      ...tests.matchAll(new RegExp(`alertname: ${alert}\\n\\s*exp_alerts:(.*)`, "g")),
    ].map((m) => m[1]?.trim());
    expect(evals, `${alert} is never seen quiet`).toContain("[]");
    expect(evals, `${alert} is never seen firing`).toContain("");
  }
});

it("explains every alert and every metric it and the dashboard query in docs/monitoring.md", () => {
  const docs = readFileSync(join(findRepoRoot(), "docs", "monitoring.md"), "utf8");
  for (const name of [...alertNames(), ...queriedMetrics()])
    expect(docs, `${name} is not in docs/monitoring.md`).toContain(name.replace(/_bucket$/, ""));
});

it("has a dashboard whose panels each query something, with unique ids", () => {
  const panels = readDashboard().panels.filter((p) => p.type !== "row");
  expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
  for (const p of panels) expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
});

it("has dashboard queries that are valid PromQL", () => {
  // promtool parses the expressions of a rules file: each query becomes a recording rule, with
  // Grafana's $region variable as the regex it expands to.
  const rules = panelQueries().map(
    (q, i) =>
      `      - record: dashboard_query_${i}\n        expr: ${JSON.stringify(q.replaceAll("$region", ".*"))}`,
  );
  const file = join(mkdtempSync(join(tmpdir(), "georep-dashboard-")), "queries.yml");
  writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join("\n")}\n`);
  const check = execFileSync("promtool", ["check", "rules", file]);
  expect(check.toString()).toMatch(/SUCCESS: \d+ rules found/);
});
