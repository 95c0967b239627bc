// The secure broker (SASL_SSL, SCRAM-SHA-512, StandardAuthorizer) with two regions' principals
// and their ACLs (regionAcls): what each may do, what it may not, and the messages of refusals.
// Region B's id extends region A's (`<a>-2`): a PREFIXED `georep.<a>` ACL would give A B's topics.
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadLetterTopic, originTopic, zoneTopic } from "@georep/contract";
import { createBatchConsumer, createKafka, KafkaError } from "@georep/kafka";
import type { KafkaClient, KafkaOptions, KafkaSecurity } from "@georep/kafka";
import { mergeGroupId } from "@georep/merger";
import { createLogger, silentLogger } from "@georep/observability";
import {
  createKafkaPrincipal,
  ensureSecureKafka,
  kafkaRefuses,
  kafkaSecurity,
  waitFor,
  type KafkaPrincipal,
  type SecureKafkaEndpoint,
} from "@georep/testkit";

const a = `s${randomBytes(4).toString("hex")}`;
const b = `${a}-2`;
const zoneOfA = "eu";
const zoneOfB = "us";

let endpoint: SecureKafkaEndpoint;
let principalA: KafkaPrincipal;
let admin: KafkaClient;
const clients: KafkaClient[] = [];

function client(security: KafkaSecurity, logger = silentLogger()): KafkaClient {
  const c = createKafka(options(security, logger));
  clients.push(c);
  return c;
}

function options(security: KafkaSecurity, logger = silentLogger()): KafkaOptions {
  // kafkajs' own debug lines too: the password must not be in them either.
  return {
    brokers: endpoint.brokers,
    clientId: `georep-test-${a}`,
    logger,
    logLevel: "debug",
    security,
  };
}

const topic = (name: string): { topic: string; partitions: number; replicationFactor: number } => ({
  topic: name,
  partitions: 1,
  replicationFactor: 1,
});

const record = (t: string): { topic: string; partition: number; key: string; value: Buffer } => ({
  topic: t,
  partition: 0,
  key: "k",
  value: Buffer.from(`hello ${t}`),
});

beforeAll(async () => {
  endpoint = await ensureSecureKafka();
  const peers = [
    { id: a, zone: zoneOfA },
    { id: b, zone: zoneOfB },
  ];
  [principalA] = await Promise.all([
    createKafkaPrincipal(endpoint, { region: a, zone: zoneOfA, peers }),
    createKafkaPrincipal(endpoint, { region: b, zone: zoneOfB, peers }),
  ]);
  admin = client(kafkaSecurity(endpoint, endpoint.admin));
  // B's topics, as B's replicator would have created them.
  await admin.admin.ensureTopics(
    [originTopic(b), zoneTopic(b, zoneOfA), zoneTopic(b, zoneOfB)].map(topic),
  );
  await admin.producer().send([originTopic(b), zoneTopic(b, zoneOfB)].map(record));
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.disconnect()));
});

describe("the secure broker", () => {
  it("refuses a plaintext client, and a TLS client without a SASL login", async () => {
    const ca = kafkaSecurity(endpoint, endpoint.admin).ca;
    for (const extra of [{}, { ssl: { ca: [ca], rejectUnauthorized: true } }])
      expect(await kafkaRefuses(endpoint.brokers, extra)).toBe(true);
  });

  it("refuses a wrong password, naming the user and the password field, and never logs the password", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        lines.push(chunk.toString());
        done();
      },
    });
    const password = `wrong-${randomBytes(8).toString("hex")}`;
    const wrong = client(
      { ...principalA.security, sasl: { ...principalA.security.sasl, password } },
      createLogger({ name: "test", level: "debug", destination: sink }),
    );
    const error = await wrong.admin.topicEnds(originTopic(a)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    const e = error as KafkaError;
    expect(e.kafkaType).toBe("SASL_AUTHENTICATION_FAILED");
    expect(e.retriable).toBe(false);
    expect(e.message).toContain(`user 'georep-${a}' (kafka.sasl.username)`);
    expect(e.message).toContain("kafka.sasl.password");
    expect(lines.length).toBeGreaterThan(0);
    const everything = [...lines, e.message, e.stack ?? "", JSON.stringify(e), String(e.cause)];
    for (const text of everything) expect(text).not.toContain(password);
  });

  it("names kafka.sasl.mechanism when the broker does not offer the client's", async () => {
    const plain = client({
      ...principalA.security,
      sasl: { ...principalA.security.sasl, mechanism: "plain" },
    });
    const e = await plain.admin.topicEnds(originTopic(a)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KafkaError);
    expect((e as KafkaError).kafkaType).toBe("UNSUPPORTED_SASL_MECHANISM");
    expect((e as KafkaError).message).toMatch(
      /^kafka\.sasl\.mechanism 'plain' is not enabled on the broker \(UNSUPPORTED_SASL_MECHANISM\): the broker enables SCRAM-SHA-512; set kafka\.sasl\.mechanism to "scram-sha-512"$/,
    );
  });

  it("names kafka.tls.ca when the broker's certificate is not signed by the given CA", async () => {
    // Another CA: the public ones Node trusts never signed the stack's throwaway certificate.
    const { rootCertificates } = await import("node:tls");
    const other = client({ ...principalA.security, ca: rootCertificates.slice(0, 3).join("\n") });
    const e = await other.admin.topicEnds(originTopic(a)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KafkaError);
    expect((e as KafkaError).kafkaType).toBe("TLS_VERIFY_FAILED");
    expect((e as KafkaError).message).toContain("kafka.tls.ca");
  }, 60_000);
});

describe("a region's principal", () => {
  it("creates and writes its own origin, zone and dead-letter topics with an idempotent producer, and reads its tail", async () => {
    const own = client(principalA.security);
    const topics = [
      originTopic(a),
      zoneTopic(a, zoneOfA),
      zoneTopic(a, zoneOfB),
      deadLetterTopic(a),
    ];
    const report = await own.admin.ensureTopics(topics.map(topic));
    expect([...report.created, ...report.existing].sort()).toEqual([...topics].sort());
    // A second start compares the existing topics' configs (DESCRIBE_CONFIGS).
    const again = await own.admin.ensureTopics(topics.map(topic));
    expect([...again.existing].sort()).toEqual([...topics].sort());
    await own.producer().send(topics.map(record));
    const tail = await own.admin.readTail(originTopic(a), 20_000);
    expect(tail.map((r) => r.value?.toString())).toEqual([`hello ${originTopic(a)}`]);
  });

  it("cannot write a peer's topics, even one whose name its own id prefixes", async () => {
    const own = client(principalA.security);
    for (const t of [originTopic(b), zoneTopic(b, zoneOfA)]) {
      const e = await own
        .producer()
        .send([record(t)])
        .catch((x: unknown) => x);
      expect(e, t).toBeInstanceOf(KafkaError);
      expect((e as KafkaError).kafkaType).toBe("TOPIC_AUTHORIZATION_FAILED");
      expect((e as KafkaError).message).toContain(
        `User:georep-${a} is not allowed to use topic ${t}`,
      );
      expect((e as KafkaError).message).toContain(`an ACL allowing WRITE on ${t}`);
    }
    const created = await own.admin
      .ensureTopics([topic(deadLetterTopic(b))])
      .catch((x: unknown) => x);
    expect(created).toBeInstanceOf(KafkaError);
    expect((created as KafkaError).message).toContain(
      `is not allowed to use topic ${deadLetterTopic(b)} (TOPIC_AUTHORIZATION_FAILED): an ACL allowing CREATE`,
    );
  });

  it("reads a peer's origin topic in its merge group, and deletes that group", async () => {
    const seen: string[] = [];
    let crashed: unknown;
    const consumer = createBatchConsumer({
      kafka: options(principalA.security),
      groupId: mergeGroupId(a),
      topics: [originTopic(b), zoneTopic(b, zoneOfA)],
      logger: silentLogger(),
      startOffsets: () => Promise.resolve(new Map()),
      onBatch: (batch) => {
        for (const m of batch.messages) seen.push(`${batch.topic}:${m.value?.toString()}`);
        const last = batch.messages.at(-1);
        return Promise.resolve(
          last === undefined
            ? { kind: "seek", offset: 0n }
            : { kind: "consumed", through: last.offset },
        );
      },
      onCrash: (e) => {
        crashed = e;
      },
    });
    try {
      await consumer.start();
      await waitFor(() => seen.includes(`${originTopic(b)}:hello ${originTopic(b)}`) || crashed, {
        description: `A's merge group reading ${originTopic(b)}`,
        timeoutMs: 60_000,
      });
      expect(crashed).toBeUndefined();
    } finally {
      await consumer.stop();
    }
    expect(await client(principalA.security).admin.deleteGroup(mergeGroupId(a))).toBe("deleted");
  });

  it("cannot read another zone's topic of a peer (residency)", async () => {
    const consumer = createBatchConsumer({
      kafka: options(principalA.security),
      groupId: mergeGroupId(a),
      topics: [zoneTopic(b, zoneOfB)],
      logger: silentLogger(),
      startOffsets: () => Promise.resolve(new Map()),
      onBatch: () => Promise.reject(new Error("must not receive anything")),
    });
    try {
      const e = await consumer.start().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(KafkaError);
      expect((e as KafkaError).kafkaType).toBe("TOPIC_AUTHORIZATION_FAILED");
      expect((e as KafkaError).message).toContain(
        `User:georep-${a} is not allowed to use topic ${zoneTopic(b, zoneOfB)}`,
      );
    } finally {
      await consumer.stop();
    }
    const tail = await client(principalA.security).admin.topicEnds(zoneTopic(b, zoneOfB));
    // The topic is invisible to A: no ends (a missing topic has none), though B wrote to it.
    expect(tail.size).toBe(0);
  });
});
