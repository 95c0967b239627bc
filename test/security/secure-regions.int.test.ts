// Three regions with every link secured, as production runs them: PostgreSQL over verify-full TLS
// with the least-privilege roles, Kafka over SASL_SSL with one principal per region and its ACLs,
// Redis and Sentinel over TLS with ACL logins, signed envelopes; every secret from a file. The
// replicators run as processes; afterwards every output of the run (their logs, /metrics, the
// CLI's output) is searched for every secret.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKafkaPrincipal,
  ensureSecureStack,
  freePort,
  georep,
  readSecretFile,
  replicatorProcess,
  securePgUrl,
  uniqueName,
  waitFor,
} from "@georep/testkit";
import type { ReplicatorProcess, SecureEndpoints } from "@georep/testkit";

interface Region {
  readonly id: string;
  readonly database: string;
  readonly configPath: string;
  readonly admin: pg.Pool;
  readonly proc: ReplicatorProcess;
}

const dir = mkdtempSync(join(tmpdir(), "georep-secure-"));
const secrets: string[] = [];
const outputs: string[] = [];
const regions: Region[] = [];
let endpoints: SecureEndpoints;

/** A random secret in a 0600 file, remembered for the search at the end. */
function secretFile(name: string, value = randomBytes(18).toString("hex")): string {
  const path = join(dir, name);
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  secrets.push(value);
  return path;
}

async function cli(...args: string[]): Promise<string> {
  const run = await georep(...args);
  outputs.push(run.stdout, run.stderr);
  expect(run.code, `georep ${args.join(" ")}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

async function total(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ s: string }>(
    "SELECT coalesce(sum(people_in), 0)::text AS s FROM counting_results",
  );
  return rows[0]?.s ?? "";
}

describe("three regions with TLS, SASL, ACLs, least privilege and signed envelopes", () => {
  beforeAll(async () => {
    endpoints = await ensureSecureStack();
    const kafka = endpoints.kafka;
    if (kafka === undefined) throw new Error("the secure stack has no Kafka broker");
    const ca = endpoints.caFile;
    const tag = uniqueName("s").replaceAll("_", "").slice(-8);
    const ids = endpoints.regions.map((r) => `sec-${tag}-${r.id}`.slice(0, 31));
    const keys = ids.map(() => generateKeyPairSync("ed25519"));
    const publicKeys = keys.map((k) =>
      k.publicKey.export({ type: "spki", format: "pem" }).toString(),
    );
    for (const path of [
      endpoints.redis.passwordFile,
      endpoints.redis.sentinelPasswordFile,
      kafka.admin.passwordFile,
    ])
      secrets.push(readSecretFile(path));
    for (const [i, cluster] of endpoints.regions.entries()) {
      const id = ids[i] ?? "";
      secrets.push(readSecretFile(cluster.admin.passwordFile));
      const database = `secure_${tag}_${i}`;
      const setup = new pg.Client({ connectionString: securePgUrl(endpoints, cluster.id) });
      await setup.connect();
      await setup.query(`CREATE DATABASE ${database}`);
      await setup.end();
      const principal = await createKafkaPrincipal(kafka, {
        region: id,
        peers: ids.filter((x) => x !== id).map((x) => ({ id: x })),
      });
      secrets.push(readSecretFile(principal.passwordFile));
      const privateKey =
        keys[i]?.privateKey.export({ type: "pkcs8", format: "pem" }).toString() ?? "";
      const keyFile = secretFile(`signing-${i}.pem`, privateKey.trim());
      const config = {
        region: id,
        regions: ids.map((x, j) => ({ id: x, publicKeys: [publicKeys[j]] })),
        postgres: {
          url: `postgres://${cluster.admin.user}@${cluster.host}:${cluster.port}/${database}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`,
          password: { file: cluster.admin.passwordFile },
          roles: {
            capture: { password: { file: secretFile(`capture-${i}`) } },
            merge: { password: { file: secretFile(`merge-${i}`) } },
          },
        },
        kafka: {
          brokers: kafka.brokers,
          replicationFactor: 1,
          topic: { minInsyncReplicas: 1 },
          tls: { ca },
          sasl: {
            mechanism: "scram-sha-512",
            username: principal.username,
            password: { file: principal.passwordFile },
          },
        },
        redis: {
          sentinels: endpoints.redis.sentinels,
          masterName: endpoints.redis.masterName,
          tls: { ca },
          username: endpoints.redis.username,
          password: { file: endpoints.redis.passwordFile },
          sentinelUsername: endpoints.redis.sentinelUsername,
          sentinelPassword: { file: endpoints.redis.sentinelPasswordFile },
        },
        signing: { privateKey: { file: keyFile } },
        tables: ["counting_results"],
        http: { port: await freePort() },
      };
      const configPath = join(dir, `${id}.json`);
      writeFileSync(configPath, JSON.stringify(config));
      // The admin login installs and sets the roles' passwords; the replicator never uses it.
      await cli("schema", "apply", "--config", configPath);
      regions.push({
        id,
        database,
        configPath,
        admin: new pg.Pool({
          connectionString: securePgUrl(endpoints, cluster.id, database),
          max: 2,
        }),
        proc: replicatorProcess(id, config),
      });
    }
    await Promise.all(regions.map((r) => r.proc.start()));
  }, 240_000);

  afterAll(async () => {
    for (const r of regions) await r.proc.stop();
    for (const [i, r] of regions.entries()) {
      await r.admin.end();
      const cluster = endpoints.regions[i];
      if (cluster === undefined) continue;
      const c = new pg.Client({ connectionString: securePgUrl(endpoints, cluster.id) });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${r.database} WITH (FORCE)`);
      await c.end();
    }
  });

  it("replicates exact counts over the secured links", async () => {
    for (const [i, r] of regions.entries())
      await r.admin.query(
        "INSERT INTO counting_results (camera_id, bucket, people_in, home_region) VALUES ($1, '2026-12-02T10:00:00Z', $2, $3)",
        [`cam-${i}`, 10 * (i + 1), r.id],
      );
    await waitFor(
      async () => {
        const totals = await Promise.all(regions.map((r) => total(r.admin)));
        return totals.every((t) => t === "60") ? totals : undefined;
      },
      { timeoutMs: 90_000, description: "every region counts 60" },
    );
    const { rows } = await (regions[0] as Region).admin.query<{ usename: string; ssl: boolean }>(
      `SELECT DISTINCT a.usename, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
       WHERE a.datname = current_database() AND a.usename LIKE 'georep%'`,
    );
    expect(rows.map((r) => `${r.usename}:${String(r.ssl)}`).sort()).toEqual([
      "georep_merger:true",
      "georep_reader:true",
    ]);
  });

  it("keeps every secret out of the logs, /metrics and the CLI's output", async () => {
    for (const r of regions) {
      const metrics = await r.proc.scrape();
      // The read cache reached Redis through the Sentinels over TLS with its ACL login.
      expect(metrics).not.toMatch(/georep_cache_refresh_failures_total(\{[^}]*\})? [1-9]/);
      outputs.push(metrics);
      await cli("status", "--config", r.configPath);
      await cli("audit", "--config", r.configPath);
    }
    for (const r of regions) await r.proc.stop();
    for (const r of regions) outputs.push(readFileSync(r.proc.logPath, "utf8"));
    const everything = outputs.join("\n");
    expect(everything.length).toBeGreaterThan(10_000);
    const leaked = secrets.filter((s) =>
      // A PEM key is searched line by line: any line of its base64 body is a leak.
      s
        .split("\n")
        .some((line) => !line.startsWith("-----") && line.length > 8 && everything.includes(line)),
    );
    expect(leaked.length, "secrets found in the run's output").toBe(0);
  });
});
