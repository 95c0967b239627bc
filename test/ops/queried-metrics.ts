// What the shipped monitoring asks of the replicators: the alert names of the Prometheus rules,
// and every metric name the rules and the Grafana dashboard query. Read from the files operators
// load, so a renamed metric cannot silently leave an alert or a panel empty.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findRepoRoot } from "@georep/testkit";

export const rulesDir = join(findRepoRoot(), "deploy", "prometheus");
const rulesPath = join(rulesDir, "georep-alerts.yml");
const dashboardPath = join(findRepoRoot(), "deploy", "grafana", "georep.json");

interface Dashboard {
  readonly panels: ReadonlyArray<{
    readonly id: number;
    readonly type: string;
    readonly title: string;
    readonly targets?: ReadonlyArray<{ readonly expr: string }>;
  }>;
  readonly templating: { readonly list: ReadonlyArray<{ readonly definition?: string }> };
}

export const readDashboard = (): Dashboard =>
  JSON.parse(readFileSync(dashboardPath, "utf8")) as Dashboard;

/** The alert names of the rules file. */
export const alertNames = (): string[] =>
  [...readFileSync(rulesPath, "utf8").matchAll(/^\s*- alert: (\S+)$/gm)].map((m) => m[1] ?? "");

/** The PromQL of the dashboard's panels. */
export const panelQueries = (): string[] =>
  readDashboard().panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

/** Every query of the rules and the dashboard (panels, and template variables in Grafana's syntax). */
export function queries(): string[] {
  const rules = [...readFileSync(rulesPath, "utf8").matchAll(/^\s*expr: (.+)$/gm)];
  return [
    ...rules.map((m) => m[1] ?? ""),
    ...panelQueries(),
    ...readDashboard().templating.list.flatMap((v) =>
      v.definition === undefined ? [] : [v.definition],
    ),
  ];
}

/**
 * The metric names those expressions read: georep's own and the process metrics the replicator
 * exports. `up` is Prometheus' own series (one per scrape target), never on /metrics.
 */
export function queriedMetrics(): string[] {
  const names = queries().flatMap((q) => [...q.matchAll(/\b(?:georep|process)_[a-z0-9_]+\b/g)]);
  return [...new Set(names.map((m) => m[0]))].sort();
}

/** The sample names on a /metrics page (histograms as their _bucket, _sum and _count). */
export const sampleNames = (exposition: string): Set<string> =>
  new Set([...exposition.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)].map((m) => m[1] ?? ""));
