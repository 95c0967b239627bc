// Regions with every link secured, as production runs them: PostgreSQL over verify-full TLS with
// the least-privilege roles, Kafka over SASL_SSL with one principal per region and its ACLs,
// Redis and Sentinel over TLS with ACL logins, signed envelopes; every secret from a file, each
// remembered so a test can search the run's output for it. The chaos suite builds its secured
// regions from prepareSecureRegions too (test/chaos/chaos-regions.ts).
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import {
  createKafkaPrincipal,
  createSecureTestDatabase,
  ensureSecureStack,
  freePort,
  georep,
  readSecretFile,
  replicatorProcess,
  uniqueName,
} from "@georep/testkit";
import type {
  KafkaPrincipal,
  ReplicatorProcess,
  SecureEndpoints,
  TestDatabase,
} from "@georep/testkit";

/** A secured region's database and config, its schema applied; no process yet. */
export interface SecureRegionSetup {
  readonly id: string;
  readonly db: TestDatabase;
  /** The replicator config, also written to `configPath` for the CLI. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly configPath: string;
  /** The admin login, for the test's own writes and reads (as services would). */
  readonly pool: pg.Pool;
  /** How a peer's automatic repair reads this region (`peers[].postgres`): its `georep_peer`. */
  readonly peerLogin: { readonly url: string; readonly password: { readonly file: string } };
}

export interface SecureRegions {
  readonly regions: readonly SecureRegionSetup[];
  /** Every secret the run was given. */
  readonly secrets: readonly string[];
  /** The CLI's output so far (georep() through cli()). */
  readonly outputs: string[];
  /** Runs a georep command, keeps its output, and expects exit code 0. @throws otherwise */
  cli(...args: string[]): Promise<string>;
  /**
   * The config of region `member.id` on database `member.db` (a secure test database), listing
   * `ids` as the regions, each with its public key. A region new to this test gets its Kafka
   * principal (ACLs for `ids`) and a key pair; the cluster's role passwords are shared, since
   * PostgreSQL roles belong to the cluster. Existing principals keep theirs: a region listed
   * later needs `georep kafka acls --apply` for its peers to read it.
   */
  configFor(member: MemberDb, ids: readonly string[]): Promise<Record<string, unknown>>;
  /**
   * How a peer's automatic repair reads `member` (`peers[].postgres`): its `georep_peer` over
   * verify-full (read-only; docs/security.md, "Peers' logins").
   */
  peerLogin(member: MemberDb): { url: string; password: { file: string } };
  /** The secure broker's admin login, for what only an operator does (deleting records). */
  readonly kafkaAdmin: { readonly username: string; readonly passwordFile: string };
  /** Ends the pools (unless a test did) and drops the databases; stop the processes first. */
  close(): Promise<void>;
}

/**
 * A region's id and its database: on the secure stack's cluster `db.regionId`, or, with `server`,
 * on a cluster a test runs itself with the stack's CA, certificate and admin password (a drill's
 * primary and its standby), whose roles' passwords are then keyed by `db.regionId`.
 */
export interface MemberDb {
  readonly id: string;
  readonly db: { readonly regionId: string; readonly name: string };
  readonly server?: { readonly host: string; readonly port: number };
}

/**
 * Secured regions with ids of their own (so the Kafka topics and principals are this test's
 * alone), one per secure stack cluster (the first `count`); `extra` is merged into every config.
 * The secure stack is started first if it is not running.
 */
export async function prepareSecureRegions(options: {
  readonly prefix: string;
  readonly count?: number;
  readonly extra?: Record<string, unknown>;
}): Promise<SecureRegions> {
  const { prefix } = options;
  const endpoints: SecureEndpoints = await ensureSecureStack();
  const kafka = endpoints.kafka;
  if (kafka === undefined) throw new Error("the secure stack has no Kafka broker");
  const dir = mkdtempSync(join(tmpdir(), "georep-secure-"));
  const secrets: string[] = [];
  const outputs: string[] = [];
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
  /** What exists so far, dropped by close() even when setting up failed half-way. */
  const opened: Array<{ db: TestDatabase; pool: pg.Pool }> = [];
  const close = async (): Promise<void> => {
    for (const r of opened) {
      if (!r.pool.ended) await r.pool.end(); // a test may have ended it (a lost region)
      await r.db.drop();
    }
  };
  const ca = endpoints.caFile;
  const clusters = endpoints.regions.slice(0, options.count ?? endpoints.regions.length);
  const tag = uniqueName(prefix).replaceAll("_", "").slice(-8);
  const ids = clusters.map((r) => `${prefix}${tag}-${r.id}`.slice(0, 31));
  for (const path of [
    endpoints.redis.passwordFile,
    endpoints.redis.sentinelPasswordFile,
    kafka.admin.passwordFile,
  ])
    secrets.push(readSecretFile(path));

  /** A region's own credentials, made once per id (a rebuilt region keeps them). */
  interface Member {
    readonly publicKey: string;
    readonly signingKeyFile: string;
    readonly principal: KafkaPrincipal;
  }
  const members = new Map<string, Promise<Member>>();
  const publicKeys = new Map<string, string>();
  const member = (id: string, peers: readonly string[]): Promise<Member> => {
    const known = members.get(id);
    if (known !== undefined) return known;
    const made = (async () => {
      const keys = generateKeyPairSync("ed25519");
      const publicKey = keys.publicKey.export({ type: "spki", format: "pem" }).toString();
      publicKeys.set(id, publicKey);
      const privateKey = keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      const principal = await createKafkaPrincipal(kafka, {
        region: id,
        peers: peers.filter((x) => x !== id).map((x) => ({ id: x })),
      });
      secrets.push(readSecretFile(principal.passwordFile));
      return {
        publicKey,
        signingKeyFile: secretFile(`${id}-signing.pem`, privateKey.trim()),
        principal,
      };
    })();
    members.set(id, made);
    return made;
  };
  /** The roles' passwords of a cluster (its roles serve every region database on it). */
  const rolePasswords = new Map<string, { capture: string; merge: string; peer: string }>();
  const rolesOf = (cluster: string) => {
    const known = rolePasswords.get(cluster);
    if (known !== undefined) return known;
    const files = {
      capture: secretFile(`${cluster}-capture`),
      merge: secretFile(`${cluster}-merge`),
      peer: secretFile(`${cluster}-peer`),
    };
    rolePasswords.set(cluster, files);
    return files;
  };
  /** Where a member's database is, with the admin login (one secret for every secure cluster). */
  const serverOf = (m: MemberDb) => {
    const cluster = endpoints.regions.find((r) => r.id === m.db.regionId);
    const admin = (cluster ?? endpoints.regions[0])?.admin;
    const host = m.server?.host ?? cluster?.host;
    const port = m.server?.port ?? cluster?.port;
    if (admin === undefined || host === undefined || port === undefined)
      throw new Error(`no secure stack cluster ${m.db.regionId}, and no server given`);
    const url = (user: string) =>
      `postgres://${user}@${host}:${port}/${m.db.name}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`;
    return { admin, url };
  };
  const peerLogin = (m: MemberDb) => ({
    url: serverOf(m).url("georep_peer"),
    password: { file: rolesOf(m.db.regionId).peer },
  });
  const configFor = async (
    m: MemberDb,
    listed: readonly string[],
  ): Promise<Record<string, unknown>> => {
    const { admin, url } = serverOf(m);
    secrets.push(readSecretFile(admin.passwordFile));
    const own = await member(m.id, listed);
    // Every listed region's key: made now for one that has none yet.
    for (const x of listed) await member(x, listed);
    const roles = rolesOf(m.db.regionId);
    return {
      region: m.id,
      regions: listed.map((x) => ({ id: x, publicKeys: [publicKeys.get(x)] })),
      postgres: {
        url: url(admin.user),
        password: { file: admin.passwordFile },
        roles: {
          capture: { password: { file: roles.capture } },
          merge: { password: { file: roles.merge } },
          peer: { password: { file: roles.peer } },
        },
      },
      kafka: {
        brokers: kafka.brokers,
        replicationFactor: 1,
        topic: { minInsyncReplicas: 1 },
        tls: { ca },
        sasl: {
          mechanism: "scram-sha-512",
          username: own.principal.username,
          password: { file: own.principal.passwordFile },
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
      signing: { privateKey: { file: own.signingKeyFile } },
      tables: ["counting_results"],
      http: { port: await freePort() },
      ...options.extra,
    };
  };
  // One region's setup is mostly waiting (a JVM for its Kafka user, the CLI for its schema):
  // all regions at once.
  const setUp = async (
    cluster: SecureEndpoints["regions"][number],
    i: number,
  ): Promise<SecureRegionSetup> => {
    const id = ids[i] ?? "";
    const db = await createSecureTestDatabase(endpoints, cluster.id, prefix);
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    opened.push({ db, pool });
    const configPath = join(dir, `${id}.json`);
    const config = await configFor({ id, db }, ids);
    writeFileSync(configPath, JSON.stringify(config));
    // The admin login installs and sets the roles' passwords; the replicator never uses it.
    await cli("schema", "apply", "--config", configPath);
    return { id, db, config, configPath, pool, peerLogin: peerLogin({ id, db }) };
  };
  const settled = await Promise.allSettled(clusters.map(setUp));
  const failed = settled.find((r) => r.status === "rejected");
  if (failed !== undefined) {
    await close();
    throw failed.reason;
  }
  const regions = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  return {
    regions,
    secrets,
    outputs,
    cli,
    configFor,
    peerLogin,
    kafkaAdmin: kafka.admin,
    close,
  };
}

export interface SecureRegion {
  readonly id: string;
  readonly configPath: string;
  /** The admin login, for the test's own writes and reads (as services would). */
  readonly pool: pg.Pool;
  readonly proc: ReplicatorProcess;
}

export interface SecureWorld extends Pick<SecureRegions, "secrets" | "outputs" | "cli"> {
  readonly regions: readonly SecureRegion[];
  /** Stops the processes, then ends the pools and drops the databases. */
  close(): Promise<void>;
}

/** Starts three secured regions' replicators (the secure stack is started first if need be). */
export async function startSecureRegions(prefix: string): Promise<SecureWorld> {
  const setup = await prepareSecureRegions({ prefix });
  const regions = setup.regions.map((r) => ({
    id: r.id,
    configPath: r.configPath,
    pool: r.pool,
    proc: replicatorProcess(r.id, r.config),
  }));
  const close = async (): Promise<void> => {
    for (const r of regions) await r.proc.stop();
    await setup.close();
  };
  try {
    await Promise.all(regions.map((r) => r.proc.start()));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    regions,
    secrets: setup.secrets,
    outputs: setup.outputs,
    cli: (...args) => setup.cli(...args),
    close,
  };
}
