export {
  parseReplicatorConfig,
  loadReplicatorConfig,
  ConfigError,
  clusterBrokers,
  regionClusters,
} from "./config.ts";
export type { ReplicatorConfig } from "./config.ts";
export { serveHttp } from "./http.ts";
export type { Probes, HttpEndpoint } from "./http.ts";
export { createReplicator } from "./replicator.ts";
export type {
  Replicator,
  ReplicatorDeps,
  ReplicatorStatus,
  ReplicatorState,
} from "./replicator.ts";
export { cacheKey, changesChannel } from "./counter-cache.ts";
export { partitionsBehind, shippedTopicEnds } from "./peer-progress.ts";
export type { TopicEnds } from "./peer-progress.ts";
export { Secret, readSecret, secretRefSchema } from "./secret.ts";
export type { SecretRef } from "./secret.ts";
export { pgClientConfig, pgLogin } from "./postgres-config.ts";
export type { PgJob, PgLogin, PostgresConfig } from "./postgres-config.ts";
export { scramVerifier, setRolePasswords } from "./role-passwords.ts";
export { kafkaSecurityOption } from "./kafka-security.ts";
export { plaintextLinks } from "./plaintext-links.ts";
