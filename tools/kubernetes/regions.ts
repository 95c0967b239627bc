// The example regions deploy/kubernetes is rendered for: edit here, then `pnpm kubernetes:render`.
// Host names are placeholders (example.com); every region runs in its own cluster, against its
// own PostgreSQL and the shared Kafka.

export interface KubernetesRegion {
  readonly id: string;
  /** The region's own database: no password in the URL, it comes from the Secret (PGPASSWORD). */
  readonly postgresUrl: string;
  readonly redisUrl?: string;
}

export interface KubernetesDeployment {
  /** The container image holding the compiled replicator (docs/deploy.md, "Container image"). */
  readonly image: string;
  readonly namespace: string;
  readonly kafkaBrokers: readonly string[];
  readonly regions: readonly KubernetesRegion[];
}

export const exampleDeployment: KubernetesDeployment = {
  image: "registry.example.com/georep/replicator:0.1.0",
  namespace: "georep",
  kafkaBrokers: [
    "kafka-1.example.com:9092",
    "kafka-2.example.com:9092",
    "kafka-3.example.com:9092",
  ],
  regions: [
    {
      id: "us-east",
      postgresUrl: "postgres://georep@db.us-east.example.com:5432/app",
      redisUrl: "redis://redis.us-east.example.com:6379",
    },
    {
      id: "eu-west",
      postgresUrl: "postgres://georep@db.eu-west.example.com:5432/app",
      redisUrl: "redis://redis.eu-west.example.com:6379",
    },
    {
      id: "ap-south",
      postgresUrl: "postgres://georep@db.ap-south.example.com:5432/app",
      redisUrl: "redis://redis.ap-south.example.com:6379",
    },
  ],
};
