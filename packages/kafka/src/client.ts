import { Kafka } from "kafkajs";
import type { KafkaConfig, SASLOptions } from "kafkajs";
import type { Logger } from "@georep/observability";
import { createAcls } from "./acls.ts";
import { ensureTopics } from "./admin.ts";
import { isSecurityRefusal, withLogin } from "./errors.ts";
import { deleteGroup } from "./groups.ts";
import type { TopicReport, TopicSpec } from "./admin.ts";
import { kafkaLogLevel, pinoLogCreator } from "./log-creator.ts";
import { createProducer } from "./producer.ts";
import { readTail, topicEnds } from "./tail.ts";
import type { TailOptions, TailRecord } from "./tail.ts";
import type { Producer, ProducerOptions } from "./producer.ts";
import type { RegionAcl } from "./region-acls.ts";
import { brokerSaslMechanisms } from "./sasl-mechanisms.ts";

export interface KafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** pino level name for kafkajs' own lines; default "warn". */
  readonly logLevel?: string;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** SASL_SSL: TLS checked against `ca` (hostname included) and a SASL login. Absent: plaintext. */
  readonly security?: KafkaSecurity;
}

/**
 * Resolved TLS and SASL settings (the replicator config reads them from files and secrets).
 * georep's brokers offer scram-sha-512 only; the others are accepted here so that a broker's
 * refusal of them is reported by name (errors.ts).
 */
export interface KafkaSecurity {
  /** The CA certificate(s) the broker's certificate must chain to, PEM text. */
  readonly ca: string;
  readonly sasl: {
    readonly mechanism: "scram-sha-512" | "scram-sha-256" | "plain";
    readonly username: string;
    readonly password: string;
  };
}

/** Our one handle on Kafka: everything kafkajs-specific stays behind it. */
export interface KafkaClient {
  producer(options?: ProducerOptions): Producer;
  readonly admin: {
    /** @throws KafkaError naming the topic the broker refused. */
    ensureTopics(topics: readonly TopicSpec[]): Promise<TopicReport>;
    /** The newest records of every non-empty partition (tail.ts). @throws KafkaError */
    readTail(topic: string, timeoutMs: number, options?: TailOptions): Promise<TailRecord[]>;
    /** End offset per partition (none for a missing topic). @throws KafkaError */
    topicEnds(topic: string): Promise<Map<number, bigint>>;
    /** Deletes a consumer group that has no members left. @throws KafkaError */
    deleteGroup(groupId: string): Promise<"deleted" | "absent">;
    /** Creates ALLOW ACLs (idempotent); needs a super user. @throws KafkaError */
    createAcls(acls: readonly RegionAcl[]): Promise<void>;
  };
  /** Closes every producer made by this client. */
  disconnect(): Promise<void>;
}

/** The kafkajs client behind createKafka, for sibling modules of this package (e.g. consumer.ts). */
export function buildKafkaJs(options: KafkaOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: kafkaLogLevel(options.logLevel),
    logCreator: pinoLogCreator(options.logger),
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    // Our callers retry on KafkaError.retriable themselves; kafkajs retries briefly underneath.
    retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 8 },
    ...(options.security === undefined ? {} : securityConfig(options.security)),
  });
}

/** kafkajs' TLS and SASL settings: the broker's certificate and host name are checked. */
function securityConfig(s: KafkaSecurity): Pick<KafkaConfig, "ssl" | "sasl"> {
  return { ssl: { ca: [s.ca], rejectUnauthorized: true }, sasl: saslConfig(s.sasl) };
}

function saslConfig({ mechanism, username, password }: KafkaSecurity["sasl"]): SASLOptions {
  // One branch per mechanism: kafkajs' type is a union keyed by it.
  switch (mechanism) {
    case "scram-sha-512":
      return { mechanism, username, password };
    case "scram-sha-256":
      return { mechanism, username, password };
    case "plain":
      return { mechanism, username, password };
  }
}

/**
 * Makes a promise's security refusal name the client's login (errors.ts withLogin) and, when
 * the broker refused the mechanism, the ones it enables (asked once more: kafkajs drops them).
 */
export function explainingRefusals(options: KafkaOptions): <T>(p: Promise<T>) => Promise<T> {
  return (p) =>
    p.catch(async (error: unknown) => {
      throw await explainRefusal(error, options);
    });
}

/** See explainingRefusals. Never rejects. */
export async function explainRefusal(error: unknown, options: KafkaOptions): Promise<unknown> {
  const s = options.security;
  if (s === undefined || !isSecurityRefusal(error)) return error;
  const login = { user: s.sasl.username, mechanism: s.sasl.mechanism };
  const first = options.brokers[0];
  const offered =
    error.kafkaType === "UNSUPPORTED_SASL_MECHANISM" && first !== undefined
      ? await brokerSaslMechanisms(first, s.ca)
      : undefined;
  return withLogin(error, offered === undefined ? login : { ...login, offered });
}

export function createKafka(options: KafkaOptions): KafkaClient {
  const kafka = buildKafkaJs(options);
  const producers = new Set<Producer>();
  const named = explainingRefusals(options);
  return {
    producer(producerOptions) {
      const p = createProducer(kafka, options.logger, producerOptions);
      producers.add(p);
      return {
        connect: (topics) => named(p.connect(topics)),
        send: (records) => named(p.send(records)),
        close: async () => {
          producers.delete(p);
          await p.close();
        },
      };
    },
    admin: {
      ensureTopics: (topics) => named(ensureTopics(kafka, topics)),
      readTail: (topic, timeoutMs, options) => named(readTail(kafka, topic, timeoutMs, options)),
      topicEnds: (topic) => named(topicEnds(kafka, topic)),
      deleteGroup: (groupId) => named(deleteGroup(kafka, groupId)),
      createAcls: (acls) => named(createAcls(kafka, acls)),
    },
    async disconnect() {
      const all = [...producers];
      producers.clear();
      await Promise.all(all.map((p) => p.close()));
    },
  };
}
