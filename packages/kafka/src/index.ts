export { createKafka } from "./client.ts";
export type { KafkaClient, KafkaOptions } from "./client.ts";
export type { Producer, ProducerRecord, ProducerOptions, Compression } from "./producer.ts";
export type { TopicSpec, TopicReport } from "./admin.ts";
export {
  DEFAULT_RETENTION_MS,
  compareTopicConfig,
  minInsyncProblem,
  topicConfigEntries,
  topicSettingsSchema,
} from "./topic-settings.ts";
export type {
  TopicConfigMismatch,
  TopicSettings,
  TopicSettingsInput,
  WantedConfigEntry,
} from "./topic-settings.ts";
export { createDeadLetters } from "./dead-letters.ts";
export type { DeadLetterSender } from "./dead-letters.ts";
export { reportTopicConfig } from "./topic-report.ts";
export type { TailOptions, TailRecord } from "./tail.ts";
export {
  KafkaError,
  isRecordTooLarge,
  isRetriable,
  isSecurityRefusal,
  toKafkaError,
} from "./errors.ts";
export { ClusterTooSmallError, clusterSizeMessage } from "./cluster-size.ts";
export type { KafkaErrorContext } from "./errors.ts";
export { pinoLogCreator, kafkaLogLevel } from "./log-creator.ts";
export {
  createBatchConsumer,
  partitionId,
  type BatchConsumer,
  type BatchConsumerOptions,
  type BatchControls,
  type BatchOutcome,
  type ConsumedBatch,
  type ConsumedMessage,
  type DeadLetterRecord,
  type TopicPartition,
} from "./consumer.ts";
export type { KafkaSecurity } from "./client.ts";
export {
  aclAllows,
  regionAcls,
  regionPrincipal,
  regionUser,
  type AclOperation,
  type AclPattern,
  type AclResource,
  type RegionAcl,
  type RegionAclInput,
} from "./region-acls.ts";
