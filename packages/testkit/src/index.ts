export { findRepoRoot, stackDir } from "./repo-root.ts";
export {
  type Endpoints,
  type RegionEndpoint,
  endpointsPath,
  endpointsSchema,
  parseEndpoints,
  readEndpoints,
  regionEndpoint,
  regionEndpointSchema,
} from "./endpoints.ts";
export { ensureStackUp } from "./ensure-stack.ts";
export { type WaitForOptions, WaitForTimeoutError, waitFor } from "./wait-for.ts";
export { uniqueName } from "./unique-name.ts";
export {
  type TestDatabase,
  type TestDatabaseOptions,
  createSecureTestDatabase,
  createTestDatabase,
} from "./databases.ts";
export { type TestTopic, createTestTopic, testKafka } from "./kafka.ts";
export { type DevKafka, devKafka } from "./dev-kafka.ts";
export { useCleanups } from "./cleanups.ts";
export { dropReplicationSlot } from "./slots.ts";
export { type ReplicatorProcess, freePort, replicatorProcess } from "./replicator-process.ts";
export {
  type HistogramSummary,
  combine,
  histogramBuckets,
  scalar,
  summarize,
  windowedBuckets,
} from "./prometheus-histogram.ts";
export { type CliRun, georep } from "./georep-cli.ts";
export {
  type DelayProxy,
  type DelayProxyOptions,
  DelayProxyError,
  startDelayProxy,
} from "./delay-proxy.ts";
export {
  type KafkaPrincipal,
  type SecureKafkaEndpoint,
  adminKafka,
  createKafkaPrincipal,
  grantKafkaPrincipal,
  kafkaRefuses,
  ensureSecureKafka,
  kafkaSecurity,
  parseSecureKafkaEndpoint,
  readSecureKafkaEndpoint,
  secureKafkaEndpointPath,
  secureKafkaEndpointSchema,
} from "./secure-kafka.ts";
export { secureTestKafka } from "./secure-test-kafka.ts";
export {
  type SecureEndpoints,
  type SecureRegionEndpoint,
  parseSecureEndpoints,
  readSecretFile,
  readSecureEndpoints,
  secureEndpointsPath,
  secureEndpointsSchema,
  securePgUrl,
  verifyFullPgUrl,
} from "./secure-endpoints.ts";
export { secureRedisOptions, secureSentinelOptions } from "./secure-redis-options.ts";
export { ensureSecureStack } from "./ensure-secure-stack.ts";
