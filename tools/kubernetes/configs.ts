// The two configs a region's pods read (docs/security.md, "A production region"): the
// replicator's, which never holds the admin login, and the schema-apply Job's, which holds only
// the PostgreSQL logins. Every secret is a file reference into the mounted Secret; no URL carries
// a password.
import { CA_KEYS, caPath, credentialKeys, secretPath, ADMIN_KEY } from "./layout.ts";
import type { KubernetesDeployment, KubernetesRegion } from "./regions.ts";

/** Where the replicator listens for /health, /ready and /metrics inside the pod. */
export const HTTP_PORT = 9464;

const file = (key: string) => ({ file: secretPath(key) });

/** The region's URL with TLS verified against the mounted CA (verify-full: chain and host). */
const postgresUrl = (region: KubernetesRegion): string =>
  `${region.postgresUrl}?sslmode=verify-full&sslrootcert=${caPath(CA_KEYS.postgres)}`;

/** The capture and merge roles: the replicator's only PostgreSQL logins. */
const roles = (region: KubernetesRegion) => {
  const keys = credentialKeys(region);
  return {
    capture: { user: "georep_reader", password: file(keys.pgCapture) },
    merge: { user: "georep_merger", password: file(keys.pgMerge) },
  };
};

const kafkaOf = (deployment: KubernetesDeployment) => ({
  brokers: deployment.kafkaBrokers,
  partitions: 6,
  replicationFactor: 3,
});

/** The replicator config (docs/operate.md) a region's pods read from the ConfigMap. */
export function replicatorConfig(
  deployment: KubernetesDeployment,
  region: KubernetesRegion,
): Record<string, unknown> {
  const keys = credentialKeys(region);
  return {
    region: region.id,
    regions: deployment.regions.map((r) => ({ id: r.id, publicKeys: r.publicKeys })),
    // The URL's user is the admin login, which this config gives no password: with roles the
    // replicator never connects as it, and installing is `georep schema apply` (the Job).
    postgres: { url: postgresUrl(region), roles: roles(region) },
    installSchema: false,
    kafka: {
      ...kafkaOf(deployment),
      tls: { ca: caPath(CA_KEYS.kafka) },
      sasl: {
        mechanism: "scram-sha-512",
        username: `georep-${region.id}`,
        password: file(keys.kafka),
      },
    },
    redis: {
      sentinels: region.redis.sentinels,
      masterName: region.redis.masterName,
      tls: { ca: caPath(CA_KEYS.redis) },
      username: "georep",
      password: file(keys.redis),
      sentinelUsername: "georep",
      sentinelPassword: file(keys.sentinel),
    },
    signing: { privateKey: file(keys.signingKey) },
    tables: ["counting_results"],
    // The camera system deletes old buckets for retention: their state must be freed
    // (docs/data-model.md, "Tombstones"). Every region alike.
    merge: { collectTombstones: true },
    // A pod has one address, so not a separate interface: all of the pod's (the kubelet probes
    // its IP), and the NetworkPolicy admits only the monitoring namespace to the port.
    http: { port: HTTP_PORT, host: "0.0.0.0" },
    lagWarningSeconds: 30,
    lagCriticalSeconds: 60,
  };
}

/**
 * The config of `georep schema apply` (the Job): the admin login, and the roles, whose passwords
 * it sets. The config format requires kafka.brokers, but schema apply never connects to Kafka,
 * so the Job gets no Kafka, Redis or signing secret.
 */
export function schemaApplyConfig(
  deployment: KubernetesDeployment,
  region: KubernetesRegion,
): Record<string, unknown> {
  return {
    region: region.id,
    regions: deployment.regions.map((r) => ({ id: r.id })),
    postgres: { url: postgresUrl(region), password: file(ADMIN_KEY), roles: roles(region) },
    kafka: kafkaOf(deployment),
    tables: ["counting_results"],
  };
}

/** A config as the ConfigMap holds it. */
export const configJson = (config: Record<string, unknown>): string =>
  `${JSON.stringify(config, null, 2)}\n`;
