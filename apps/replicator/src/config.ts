import { readFileSync } from "node:fs";
import { z } from "zod";
import { regionIdSchema, zoneIdSchema } from "@georep/contract";
import { minInsyncProblem, topicSettingsSchema } from "@georep/kafka";
import { mergerOptionsSchema } from "@georep/merger";
import { countingResultsSpec, firstIssue, parseInstallConfig } from "@georep/schema";
import type { InstallConfig } from "@georep/schema";
import { ConfigError } from "./config-error.ts";
import { postgresConfigSchema, postgresUrlSchema, resolvePostgres } from "./postgres-config.ts";
import type { PostgresConfig } from "./postgres-config.ts";
import { resolveRedisSecurity } from "./redis-security.ts";
import type { RedisSecurity } from "./redis-security.ts";
import { URL_WITHOUT_PASSWORD, secretRefSchema } from "./secret.ts";
import { publicKeysSchema, resolveEnvelopeSigning, signingSchema } from "./signing-config.ts";
import type { EnvelopeSigning } from "./signing-config.ts";
import { kafkaSaslSchema, resolveKafkaSecurity, tlsSchema } from "./tls-config.ts";
import type { KafkaSecurity } from "./tls-config.ts";

export { ConfigError };

const brokersSchema = z
  .array(z.string().regex(/^[^:\s]+:\d+$/, { message: "must be host:port" }))
  .min(1, { message: "must name at least one broker (host:port)" });

const configSchema = z
  .object({
    region: regionIdSchema,
    regions: z
      .array(
        z
          .object({
            id: regionIdSchema,
            zone: zoneIdSchema.optional(),
            /**
             * The region's own Kafka cluster (per-region clusters, docs/operate.md "Topology"):
             * its shipper writes there and the other regions' mergers read it. Absent: the
             * shared cluster, kafka.brokers.
             */
            kafka: z.object({ brokers: brokersSchema }).strict().optional(),
            /** The region's envelope-signing public keys (signing-config.ts, docs/security.md). */
            publicKeys: publicKeysSchema.optional(),
          })
          .strict(),
      )
      .min(2, {
        message:
          "must list at least two regions (this one and a peer); georep replicates between regions",
      }),
    postgres: postgresConfigSchema,
    /**
     * Peers' databases, read (never written) by automatic repair when this region starts a new
     * incarnation: it merges what they hold of its earlier components. Optional; without them,
     * run `georep repair` after a failover.
     */
    peers: z
      .array(
        z
          .object({
            region: regionIdSchema,
            /**
             * Read-only: a login that can only SELECT the peer's georep schema and state tables
             * (not its georep_reader, which also holds REPLICATION and the peer's lease).
             */
            postgres: z
              .object({ url: postgresUrlSchema, password: secretRefSchema.optional() })
              .strict(),
          })
          .strict(),
      )
      .default([]),
    repairCheckIntervalMs: z.number().int().min(100).max(3_600_000).default(5_000),
    /** How often the live region membership (georep region add/remove) is read. */
    membershipCheckIntervalMs: z.number().int().min(100).max(3_600_000).default(5_000),
    kafka: z
      .object({
        brokers: z
          .array(z.string().regex(/^[^:\s]+:\d+$/, { message: "must be host:port" }))
          .min(1),
        partitions: z.number().int().min(1).max(1000).default(6),
        /**
         * Production defaults: 3 replicas, 2 in sync (below), so one broker may be lost without
         * losing an acknowledged write or stopping writes. At start a cluster with fewer brokers
         * is refused (ClusterTooSmallError); a development stack says 1 and 1 explicitly.
         */
        replicationFactor: z.number().int().min(1).max(7).default(3),
        /** TLS (SASL_SSL, with sasl): the CA that signed the brokers' certificates. */
        tls: tlsSchema.optional(),
        /** This region's principal (SCRAM-SHA-512); the broker's ACLs say what it may do. */
        sasl: kafkaSaslSchema.optional(),
        /**
         * Settings of the region topics (retention.ms, min.insync.replicas; cleanup.policy and
         * compression.type are fixed): new topics are created with them, existing ones are
         * checked against them at start and a difference is reported, never changed.
         */
        topic: topicSettingsSchema
          .extend({
            minInsyncReplicas: topicSettingsSchema.shape.minInsyncReplicas.unwrap().default(2),
          })
          .prefault({}),
      })
      .strict(),
    /** The read cache: one Redis by URL, or a Sentinel-managed master by name. */
    redis: z
      .object({
        url: z
          .url()
          .refine(...URL_WITHOUT_PASSWORD)
          .optional(),
        sentinels: z
          .array(
            z
              .object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) })
              .strict(),
          )
          .min(1)
          .optional(),
        masterName: z.string().min(1).optional(),
        /** TLS to Redis and to the Sentinels: the CA that signed their certificates. */
        tls: tlsSchema.optional(),
        /** The Redis ACL user and its password (absent: the default user, no password). */
        username: z.string().min(1).optional(),
        password: secretRefSchema.optional(),
        /** The Sentinels' own ACL login, when they require one. */
        sentinelUsername: z.string().min(1).optional(),
        sentinelPassword: secretRefSchema.optional(),
        cacheTtlSeconds: z.number().int().positive().default(3600),
      })
      .strict()
      .refine((r) => (r.url === undefined) !== (r.sentinels === undefined), {
        message: "needs exactly one of url (a single Redis) or sentinels (with masterName)",
      })
      .refine((r) => r.sentinels === undefined || r.masterName !== undefined, {
        message: "with sentinels, set masterName to the Sentinel master's name",
        path: ["masterName"],
      })
      .optional(),
    /** Table specs; the string "counting_results" names the built-in camera counting spec. */
    tables: z
      .array(z.union([z.literal("counting_results"), z.record(z.string(), z.unknown())]))
      .min(1),
    http: z
      .object({
        port: z.number().int().min(0).max(65535).default(0),
        host: z.string().default("127.0.0.1"),
      })
      .strict()
      .default({ port: 0, host: "127.0.0.1" }),
    slotName: z
      .string()
      .regex(/^[a-z0-9_]{1,63}$/, {
        message: "must be a lower-case replication slot name ([a-z0-9_], ≤ 63)",
      })
      .optional(),
    /**
     * Whether the replicator installs or migrates the schema at start, with the admin login.
     * Default: yes without postgres.roles; with them, `georep schema apply` does (least privilege).
     */
    installSchema: z.boolean().optional(),
    /** This region's envelope-signing key (signing-config.ts); absent everywhere: unsigned. */
    signing: signingSchema.optional(),
    /**
     * "all": the region's replicator (capture, merge, repair; one active per region, the others
     * stand by). "merge": one more merge worker for the region: it joins the region's merge
     * consumer group, which splits the partitions between the workers, and holds no leadership.
     */
    role: z.enum(["all", "merge"]).default("all"),
    /** Merge bounds (see the merger's options): lock waits, how far ahead remote clocks may be, worker failover. */
    merge: z
      .object({
        lockTimeoutMs: mergerOptionsSchema.shape.lockTimeoutMs,
        deferredRetryIntervalMs: mergerOptionsSchema.shape.deferredRetryIntervalMs,
        maxForwardSkewMs: mergerOptionsSchema.shape.maxForwardSkewMs,
        /**
         * How long the merge consumer group waits for a silent worker before handing its
         * partitions to the others (Kafka's session timeout; brokers allow 6 s to 300 s by default).
         */
        sessionTimeoutMs: mergerOptionsSchema.shape.sessionTimeoutMs,
        statementTimeoutMs: mergerOptionsSchema.shape.statementTimeoutMs,
        /** Tombstone collection (docs/data-model.md, "Tombstones"); off unless collectTombstones. */
        collectTombstones: mergerOptionsSchema.shape.collectTombstones,
        collectionIntervalMs: mergerOptionsSchema.shape.collectionIntervalMs,
        collectionGraceSeconds: mergerOptionsSchema.shape.collectionGraceSeconds,
        collectionBlockedAfterSeconds: mergerOptionsSchema.shape.collectionBlockedAfterSeconds,
      })
      .strict()
      .prefault({}),
    /**
     * The active's lease in the region's PostgreSQL (renewed every leaseMs / 3). A hung active is
     * replaced about leaseMs + pollMs after it stopped renewing; a crashed one within pollMs.
     */
    leadership: z
      .object({
        leaseMs: z
          .number()
          .int()
          .min(2_000, { message: "must be at least 2000 (ms): renewals come every leaseMs / 3" })
          .max(300_000)
          .default(6_000),
        pollMs: z.number().int().min(100).max(60_000).default(1_000),
      })
      .strict()
      .prefault({}),
    /** /health fails once a role with work pending has made no progress for this long. */
    stallSeconds: z.number().positive().max(3600).default(60),
    lagWarningSeconds: z.number().positive().default(30),
    lagCriticalSeconds: z.number().positive().default(60),
  })
  .strict();

type ParsedConfig = z.output<typeof configSchema>;

export type ReplicatorConfig = Omit<ParsedConfig, "postgres" | "peers" | "installSchema"> & {
  readonly installSchema: boolean;
  readonly postgres: PostgresConfig;
  readonly peers: ReadonlyArray<{ readonly region: string; readonly postgres: PostgresConfig }>;
  /** Kafka's TLS and SASL login, read from the files and secrets kafka.tls/sasl name. */
  readonly kafkaSecurity: KafkaSecurity | undefined;
  /** Redis' TLS and ACL logins, read likewise. */
  readonly redisSecurity: RedisSecurity | undefined;
  /** Envelope signer and verifier (signing-config.ts); undefined: envelopes go unsigned. */
  readonly envelopeSigning: EnvelopeSigning | undefined;
  readonly schema: InstallConfig;
  readonly slot: string;
};

/** Validates a replicator config once, at the edge. @throws ConfigError naming the field. */
export function parseReplicatorConfig(
  input: unknown,
  env: NodeJS.ProcessEnv = process.env,
): ReplicatorConfig {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const { field, text } = firstIssue(parsed.error);
    throw new ConfigError(`replicator config: ${text}`, field, { cause: parsed.error });
  }
  const c = parsed.data;
  // Duplicate or missing region ids are refused by parseInstallConfig below, with its own field.
  const ids = c.regions.map((r) => r.id);
  for (const [i, peer] of c.peers.entries()) {
    if (peer.region === c.region || !ids.includes(peer.region))
      throw new ConfigError(
        `replicator config: peers.${i}.region '${peer.region}' must be another configured region (${ids.filter((id) => id !== c.region).join(", ")})`,
        `peers.${i}.region`,
      );
    if (peer.postgres.url === c.postgres.url)
      throw new ConfigError(
        `replicator config: peers.${i}.postgres.url is this region's own database; give '${peer.region}''s`,
        `peers.${i}.postgres.url`,
      );
  }
  const insync = minInsyncProblem(c.kafka.topic, c.kafka.replicationFactor);
  if (insync !== undefined)
    throw new ConfigError(
      `replicator config: kafka.topic.${insync}`,
      "kafka.topic.minInsyncReplicas",
    );
  if (c.installSchema === true && c.postgres.roles !== undefined)
    throw new ConfigError(
      "replicator config: installSchema needs the admin login, which a replicator with postgres.roles does not use; drop installSchema and run `georep schema apply` (with the admin login) before starting it",
      "installSchema",
    );
  if (c.lagWarningSeconds >= c.lagCriticalSeconds) {
    throw new ConfigError(
      `replicator config: lagWarningSeconds (${c.lagWarningSeconds}) must be lower than lagCriticalSeconds (${c.lagCriticalSeconds}); the warning has to fire first`,
      "lagWarningSeconds",
    );
  }
  const tables = c.tables.map((t) => (t === "counting_results" ? countingResultsSpec : t));
  let schema: InstallConfig;
  try {
    // The installer knows regions by id and zone only; their Kafka clusters are not its business.
    const regions = c.regions.map(({ id, zone }) => (zone === undefined ? { id } : { id, zone }));
    schema = parseInstallConfig({ region: c.region, regions, tables });
  } catch (error) {
    throw new ConfigError(
      `replicator config: ${(error as Error).message}`,
      (error as { field?: string }).field ?? "tables",
      { cause: error },
    );
  }
  return {
    ...c,
    postgres: resolvePostgres(c.postgres, "postgres", env),
    peers: c.peers.map((p, i) => ({
      region: p.region,
      postgres: resolvePostgres(p.postgres, `peers.${i}.postgres`, env),
    })),
    kafkaSecurity: resolveKafkaSecurity(c.kafka.tls, c.kafka.sasl, env),
    redisSecurity: c.redis === undefined ? undefined : resolveRedisSecurity(c.redis, env),
    envelopeSigning: resolveEnvelopeSigning(c, env),
    installSchema: c.installSchema ?? c.postgres.roles === undefined,
    schema,
    slot: c.slotName ?? `georep_${c.region.replaceAll("-", "_")}`,
  };
}

/**
 * The brokers of the cluster that holds `region`'s topics: its own cluster when the config names
 * one (regions[].kafka), else the shared kafka.brokers. A region added later by `georep region
 * add` and absent from this config is on the shared cluster.
 */
export function clusterBrokers(config: ReplicatorConfig, region: string): readonly string[] {
  return config.regions.find((r) => r.id === region)?.kafka?.brokers ?? config.kafka.brokers;
}

/** The brokers of each of `regions` (the live members), by region id. */
export function regionClusters(
  config: ReplicatorConfig,
  regions: ReadonlyArray<{ readonly id: string }>,
): Record<string, readonly string[]> {
  return Object.fromEntries(regions.map((r) => [r.id, clusterBrokers(config, r.id)]));
}

export function loadReplicatorConfig(path: string): ReplicatorConfig {
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      `cannot read config file '${path}': ${(error as Error).message}; pass --config <file.json>`,
      "config",
      { cause: error },
    );
  }
  try {
    return parseReplicatorConfig(JSON.parse(raw));
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new ConfigError(
        `config file '${path}' is not valid JSON: ${error.message}; fix it, or pass another --config <file.json>`,
        "config",
        {
          cause: error,
        },
      );
    throw error;
  }
}
