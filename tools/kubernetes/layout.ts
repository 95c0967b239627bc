// Where each file sits inside a georep pod, and which Kubernetes object holds it: the config
// (ConfigMap), the CA certificates (ConfigMap: not secret) and the secrets (Secret, one key per
// file). Three separate directories, none mounted inside another: a ConfigMap volume's updates
// replace its whole directory.
import type { KubernetesRegion } from "./regions.ts";

export const CONFIG_DIR = "/etc/georep/config";
export const SECRETS_DIR = "/etc/georep/secrets";
export const TLS_DIR = "/etc/georep/tls";
export const CONFIG_FILE = "config.json";

/** The compiled replicator and CLI inside the image (their package.json's bin). */
export const REPLICATOR_BIN = "/opt/georep/replicator/dist/georep-replicator.mjs";
export const CLI_BIN = "/opt/georep/cli/dist/georep.mjs";

/** The pods' user and group; the group reads the secret files (mode 0440, fsGroup). */
export const POD_USER = 1000;
/** Secret files: owner and group read, nobody else. */
export const SECRET_MODE = 0o440;
/** CA certificates are public. */
export const CA_MODE = 0o444;

/** The keys (file names) of a region's credentials Secret, which the replicator mounts. */
export const credentialKeys = (region: KubernetesRegion) => ({
  pgCapture: "pg-capture",
  pgMerge: "pg-merge",
  kafka: `kafka-georep-${region.id}`,
  redis: "redis-georep",
  sentinel: "sentinel-georep",
  signingKey: `${region.id}-signing.pem`,
});

/** The admin login's password: in its own Secret, mounted by the schema-apply Job only. */
export const ADMIN_KEY = "pg-admin";

/** The keys (file names) of a region's CA ConfigMap. */
export const CA_KEYS = {
  postgres: "pg-ca.crt",
  kafka: "kafka-ca.crt",
  redis: "redis-ca.crt",
} as const;

/** Kubernetes object names of a region. */
export const names = (region: KubernetesRegion) => ({
  app: `georep-replicator-${region.id}`,
  credentials: `georep-replicator-${region.id}-credentials`,
  admin: `georep-${region.id}-postgres-admin`,
  ca: `georep-${region.id}-ca`,
  schemaApply: `georep-schema-apply-${region.id}`,
});

export const secretPath = (key: string): string => `${SECRETS_DIR}/${key}`;
export const caPath = (key: string): string => `${TLS_DIR}/${key}`;
