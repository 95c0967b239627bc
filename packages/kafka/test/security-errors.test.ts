import { describe, expect, it } from "vitest";
import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from "kafkajs";
import { isSecurityRefusal, toKafkaError, withLogin } from "../src/errors.ts";

// kafkajs' own error shapes, as the secure broker produced them (test/security/kafka-acls.int.test.ts).
const protocol = (type: string): KafkaJSProtocolError =>
  Object.assign(new KafkaJSProtocolError(`broker said ${type}`), { type });

describe("security refusals", () => {
  it("name the user and the password field on a failed login, and are not retriable", () => {
    const e = toKafkaError(
      // kafkajs' typings give this class no constructor argument; its code takes the message.
      Object.assign(new Error("SASL SCRAM SHA512 authentication failed: invalid credentials"), {
        name: "KafkaJSSASLAuthenticationError",
        retriable: false,
      }),
      { operation: "read-tail", topic: "georep.us-east", user: "georep-us-east" },
    );
    expect(e.kafkaType).toBe("SASL_AUTHENTICATION_FAILED");
    expect(e.retriable).toBe(false);
    expect(e.message).toContain("user 'georep-us-east' (kafka.sasl.username)");
    expect(e.message).toContain("kafka.sasl.password");
  });

  it("name the mechanism field when the broker does not enable it", () => {
    const e = toKafkaError(protocol("UNSUPPORTED_SASL_MECHANISM"), { operation: "connect" });
    expect(e.message).toMatch(/^kafka\.sasl\.mechanism is not enabled on the broker/);
    expect(e.message).toContain('"scram-sha-512"');
    const named = withLogin(e, { user: "u", mechanism: "plain", offered: ["SCRAM-SHA-512"] });
    expect((named as Error).message).toMatch(
      /^kafka\.sasl\.mechanism 'plain' is not enabled on the broker \(UNSUPPORTED_SASL_MECHANISM\): the broker enables SCRAM-SHA-512;/,
    );
  });

  it("name kafka.tls.ca when the certificate does not verify, however deep the TLS error is", () => {
    const tls = new KafkaJSConnectionError(
      "Connection error: self-signed certificate in certificate chain",
      {
        code: "SELF_SIGNED_CERT_IN_CHAIN",
      },
    );
    const e = toKafkaError(
      new KafkaJSNumberOfRetriesExceeded(tls, { retryCount: 8, retryTime: 5000 }),
      {
        operation: "connect",
      },
    );
    expect(e.kafkaType).toBe("TLS_VERIFY_FAILED");
    expect(e.message).toContain("kafka.tls.ca");
    expect(e.retriable).toBe(false);
  });

  it("name the topic, the principal and the missing ACL on a topic refusal", () => {
    const e = toKafkaError(protocol("TOPIC_AUTHORIZATION_FAILED"), {
      operation: "send",
      topic: "georep.eu-west",
    });
    expect(e.message).toContain(
      "this client's principal is not allowed to use topic georep.eu-west",
    );
    const named = withLogin(e, { user: "georep-us-east", mechanism: "scram-sha-512" });
    expect(isSecurityRefusal(named)).toBe(true);
    expect((named as Error).message).toContain(
      "User:georep-us-east is not allowed to use topic georep.eu-west (TOPIC_AUTHORIZATION_FAILED): an ACL allowing WRITE on georep.eu-west",
    );
  });

  it("find the refused topic among the errors kafkajs aggregates for createTopics", () => {
    const aggregate = Object.assign(new Error("topic creation errors"), {
      name: "KafkaJSAggregateError",
      errors: [
        Object.assign(protocol("TOPIC_AUTHORIZATION_FAILED"), { topic: "georep.dlq.eu-west" }),
      ],
    });
    const e = toKafkaError(aggregate, { operation: "ensure-topics" });
    expect(e.kafkaType).toBe("TOPIC_AUTHORIZATION_FAILED");
    expect(e.message).toContain("topic georep.dlq.eu-west");
    expect(e.message).toContain("an ACL allowing CREATE");
  });

  it("leave other errors as they were", () => {
    const e = toKafkaError(protocol("NOT_LEADER_OR_FOLLOWER"), { operation: "send" });
    expect(isSecurityRefusal(e)).toBe(false);
    expect(withLogin(e, { user: "georep-us-east", mechanism: "scram-sha-512" })).toBe(e);
  });
});
