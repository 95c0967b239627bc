// The example regions deploy/kubernetes is rendered for: edit here, then `pnpm kubernetes:render`.
// Host names are placeholders (example.com); every region runs in its own cluster, against its
// own PostgreSQL and Redis and the shared Kafka. Public keys are placeholders too: a replicator
// refuses to start (exit 2, naming regions.<i>.publicKeys) until each is replaced.

export interface KubernetesRegion {
  readonly id: string;
  /**
   * The region's own database, as its admin login (the URL's user): no password and no TLS
   * parameters here; the template adds sslmode=verify-full and the CA file.
   */
  readonly postgresUrl: string;
  /** The region's Redis, behind Sentinels (TLS and ACL logins on both). */
  readonly redis: {
    readonly sentinels: ReadonlyArray<{ readonly host: string; readonly port: number }>;
    readonly masterName: string;
  };
  /**
   * The region's envelope-signing public keys (PEM SPKI; two during a rotation), printed by
   * `georep keygen`. Not secret: every region's config lists every region's keys.
   */
  readonly publicKeys: readonly string[];
}

export interface KubernetesDeployment {
  /**
   * The container image: the compiled replicator and CLI under /opt/georep (docs/deploy.md,
   * "Container image").
   */
  readonly image: string;
  readonly namespace: string;
  /** The brokers' SASL_SSL listeners. */
  readonly kafkaBrokers: readonly string[];
  /** The namespace whose pods may scrape /metrics (the NetworkPolicy's only allowed source). */
  readonly monitoringNamespace: string;
  readonly regions: readonly KubernetesRegion[];
}

/** Marks what the operator must replace; the test fills these in to parse the config. */
export const PLACEHOLDER = "REPLACE-ME";

const publicKeyPlaceholder = (region: string): string =>
  `${PLACEHOLDER}: ${region}'s envelope-signing public key (PEM), printed by \`georep keygen --out ${region}-signing.pem\``;

const region = (id: string): KubernetesRegion => ({
  id,
  postgresUrl: `postgres://georep_admin@db.${id}.example.com:5432/app`,
  redis: {
    sentinels: [1, 2, 3].map((n) => ({ host: `sentinel-${n}.${id}.example.com`, port: 26379 })),
    masterName: "georep",
  },
  publicKeys: [publicKeyPlaceholder(id)],
});

export const exampleDeployment: KubernetesDeployment = {
  image: "registry.example.com/georep/georep:0.1.0",
  namespace: "georep",
  kafkaBrokers: [
    "kafka-1.example.com:9093",
    "kafka-2.example.com:9093",
    "kafka-3.example.com:9093",
  ],
  monitoringNamespace: "monitoring",
  regions: [region("us-east"), region("eu-west"), region("ap-south")],
};
