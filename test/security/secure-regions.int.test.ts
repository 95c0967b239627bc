// Three regions with every link secured (secure-world.ts). Counts converge; every georep session
// is TLS and runs as a least-privilege role; afterwards every output of the run (the replicators'
// logs, /metrics, the CLI's output) is searched for every secret.
import { readFileSync } from "node:fs";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@georep/testkit";
import { startSecureRegions } from "./secure-world.ts";
import type { SecureWorld } from "./secure-world.ts";

let world: SecureWorld;

async function total(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ s: string }>(
    "SELECT coalesce(sum(people_in), 0)::text AS s FROM counting_results",
  );
  return rows[0]?.s ?? "";
}

describe("three regions with TLS, SASL, ACLs, least privilege and signed envelopes", () => {
  beforeAll(async () => {
    world = await startSecureRegions("sec");
  }, 240_000);
  afterAll(async () => world.close());

  it("replicates exact counts over the secured links", async () => {
    for (const [i, r] of world.regions.entries())
      await r.pool.query(
        "INSERT INTO counting_results (camera_id, bucket, people_in, home_region) VALUES ($1, '2026-12-02T10:00:00Z', $2, $3)",
        [`cam-${i}`, 10 * (i + 1), r.id],
      );
    await waitFor(
      async () => {
        const totals = await Promise.all(world.regions.map((r) => total(r.pool)));
        return totals.every((t) => t === "60") ? totals : undefined;
      },
      { timeoutMs: 90_000, description: "every region counts 60" },
    );
    const first = world.regions[0];
    if (first === undefined) throw new Error("no region");
    const { rows } = await first.pool.query<{ usename: string; ssl: boolean }>(
      `SELECT DISTINCT a.usename, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
       WHERE a.datname = current_database() AND a.usename LIKE 'georep%'`,
    );
    expect(rows.map((r) => `${r.usename}:${String(r.ssl)}`).sort()).toEqual([
      "georep_merger:true",
      "georep_reader:true",
    ]);
  });

  it("keeps every secret out of the logs, /metrics and the CLI's output", async () => {
    const outputs = world.outputs;
    for (const r of world.regions) {
      const metrics = await r.proc.scrape();
      // The read cache reached Redis through the Sentinels over TLS with its ACL login.
      expect(metrics).not.toMatch(/georep_cache_refresh_failures_total(\{[^}]*\})? [1-9]/);
      outputs.push(metrics);
      await world.cli("status", "--config", r.configPath);
      await world.cli("audit", "--config", r.configPath);
    }
    for (const r of world.regions) await r.proc.stop();
    for (const r of world.regions) outputs.push(readFileSync(r.proc.logPath, "utf8"));
    const everything = outputs.join("\n");
    expect(everything.length).toBeGreaterThan(10_000);
    const leaked = world.secrets.filter((s) =>
      // A PEM key is searched line by line: any line of its base64 body is a leak.
      s
        .split("\n")
        .some((line) => !line.startsWith("-----") && line.length > 8 && everything.includes(line)),
    );
    expect(leaked.length, "secrets found in the run's output").toBe(0);
  });
});
