// Three replicator processes with every link secured, as production runs them: PostgreSQL over
// verify-full TLS with the least-privilege roles, Kafka over SASL_SSL with one principal per
// region and its ACLs, Redis and Sentinel over TLS with ACL logins, signed envelopes; every
// secret from a file, each remembered so a test can search the run's output for it.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import {
  createKafkaPrincipal,
  ensureSecureStack,
  freePort,
  georep,
  readSecretFile,
  replicatorProcess,
  securePgUrl,
  uniqueName,
} from "@georep/testkit";
import type { ReplicatorProcess, SecureEndpoints } from "@georep/testkit";

export interface SecureRegion {
  readonly id: string;
  readonly configPath: string;
  /** The admin login, for the test's own writes and reads (as services would). */
  readonly pool: pg.Pool;
  readonly proc: ReplicatorProcess;
}

export interface SecureWorld {
  readonly regions: readonly SecureRegion[];
  /** Every secret the run was given. */
  readonly secrets: readonly string[];
  /** The CLI's output so far (georep() through cli()). */
  readonly outputs: string[];
  /** Runs a georep command, keeps its output, and expects exit code 0. @throws otherwise */
  cli(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

/** Starts three secured regions (the secure stack is started first if it is not running). */
export async function startSecureRegions(prefix: string): Promise<SecureWorld> {
  const endpoints: SecureEndpoints = await ensureSecureStack();
  const kafka = endpoints.kafka;
  if (kafka === undefined) throw new Error("the secure stack has no Kafka broker");
  const dir = mkdtempSync(join(tmpdir(), "georep-secure-"));
  const secrets: string[] = [];
  const outputs: string[] = [];
  const databases: Array<{ cluster: string; name: string }> = [];
  const regions: SecureRegion[] = [];
  const secretFile = (name: string, value = randomBytes(18).toString("hex")): string => {
    const path = join(dir, name);
    writeFileSync(path, `${value}\n`, { mode: 0o600 });
    secrets.push(value);
    return path;
  };
  const cli = async (...args: string[]): Promise<string> => {
    const run = await georep(...args);
    outputs.push(run.stdout, run.stderr);
    if (run.code !== 0)
      throw new Error(`georep ${args.join(" ")} exited with ${run.code}: ${run.stderr}`);
    return run.stdout;
  };
  const ca = endpoints.caFile;
  const tag = uniqueName(prefix).replaceAll("_", "").slice(-8);
  const ids = endpoints.regions.map((r) => `${prefix}-${tag}-${r.id}`.slice(0, 31));
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
    const database = `${prefix}_${tag}_${i}`.replaceAll("-", "_");
    const setup = new pg.Client({ connectionString: securePgUrl(endpoints, cluster.id) });
    await setup.connect();
    await setup.query(`CREATE DATABASE ${database}`);
    await setup.end();
    databases.push({ cluster: cluster.id, name: database });
    const principal = await createKafkaPrincipal(kafka, {
      region: id,
      peers: ids.filter((x) => x !== id).map((x) => ({ id: x })),
    });
    secrets.push(readSecretFile(principal.passwordFile));
    const privateKey =
      keys[i]?.privateKey.export({ type: "pkcs8", format: "pem" }).toString() ?? "";
    const config = {
      region: id,
      regions: ids.map((x, j) => ({ id: x, publicKeys: [publicKeys[j]] })),
      postgres: {
        url: `postgres://${cluster.admin.user}@${cluster.host}:${cluster.port}/${database}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`,
        password: { file: cluster.admin.passwordFile },
        roles: {
          capture: { password: { file: secretFile(`${id}-capture`) } },
          merge: { password: { file: secretFile(`${id}-merge`) } },
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
      signing: { privateKey: { file: secretFile(`${id}-signing.pem`, privateKey.trim()) } },
      tables: ["counting_results"],
      http: { port: await freePort() },
    };
    const configPath = join(dir, `${id}.json`);
    writeFileSync(configPath, JSON.stringify(config));
    // The admin login installs and sets the roles' passwords; the replicator never uses it.
    await cli("schema", "apply", "--config", configPath);
    regions.push({
      id,
      configPath,
      pool: new pg.Pool({ connectionString: securePgUrl(endpoints, cluster.id, database), max: 4 }),
      proc: replicatorProcess(id, config),
    });
  }
  await Promise.all(regions.map((r) => r.proc.start()));
  return {
    regions,
    secrets,
    outputs,
    cli,
    async close() {
      for (const r of regions) await r.proc.stop();
      for (const r of regions) await r.pool.end();
      for (const d of databases) {
        const c = new pg.Client({ connectionString: securePgUrl(endpoints, d.cluster) });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${d.name} WITH (FORCE)`);
        await c.end();
      }
    },
  };
}
