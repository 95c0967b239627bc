// What a broker's security refusal means, in the replicator config's words (kafka.tls.ca,
// kafka.sasl.*), with the fix. kafkajs reports these as a SASL error, a protocol error type or a
// TLS error code somewhere in its cause chain (retries wrap the first failure).

/** Where the refused operation happened (a subset of KafkaErrorContext). */
export interface RefusalContext {
  readonly operation: string;
  readonly topic?: string;
  readonly group?: string;
  /** The SASL user, when the client has one: named in the message, never its password. */
  readonly user?: string;
  readonly mechanism?: string;
  /** The mechanisms the broker enables, when known (sasl-mechanisms.ts). */
  readonly offered?: readonly string[];
}

export interface SecurityRefusal {
  readonly kafkaType: string;
  readonly message: string;
}

interface Link {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly type?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
  readonly topic?: unknown;
}

/**
 * The error, its causes and the errors it aggregates (kafkajs' createTopics gives one per
 * topic), outermost first; at most 12.
 */
function chain(error: unknown): Link[] {
  const links: Link[] = [];
  const pending: unknown[] = [error];
  while (pending.length > 0 && links.length < 12) {
    const e = pending.shift();
    if (typeof e !== "object" || e === null) continue;
    const link: Link = e;
    links.push(link);
    pending.push(link.cause, ...(Array.isArray(link.errors) ? (link.errors as unknown[]) : []));
  }
  return links;
}

/** Node's codes for a certificate that did not verify (node:tls, OpenSSL). */
const TLS_VERIFY_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
]);

/** The ACL operation an operation of ours needs on a topic. */
const TOPIC_OPERATION: Readonly<Record<string, string>> = {
  send: "WRITE",
  connect: "WRITE",
  "read-tail": "READ (and DESCRIBE)",
  consume: "READ",
  "ensure-topics": "CREATE, DESCRIBE_CONFIGS and ALTER_CONFIGS",
};

const ACLS_HINT = "regionAcls in @georep/kafka lists every ACL a region needs";

/**
 * The refusal's meaning and fix when `error` is a TLS, SASL or authorization failure; undefined
 * for any other error. Pure.
 */
export function securityRefusal(
  error: unknown,
  context: RefusalContext,
): SecurityRefusal | undefined {
  const links = chain(error);
  const str = (v: unknown): string => (typeof v === "string" ? v : "");
  const who = context.user === undefined ? "this client's principal" : `User:${context.user}`;
  for (const e of links) {
    const type = str(e.type);
    const name = str(e.name);
    const message = str(e.message);
    const code = str(e.code);
    if (type === "UNSUPPORTED_SASL_MECHANISM" || /mechanism is not supported/.test(message)) {
      const mechanism = context.mechanism ?? /SASL (\S+) mechanism/.exec(message)?.[1];
      const offered =
        context.offered === undefined
          ? "georep's brokers enable SCRAM-SHA-512 only"
          : `the broker enables ${context.offered.length === 0 ? "none" : context.offered.join(", ")}`;
      return {
        kafkaType: "UNSUPPORTED_SASL_MECHANISM",
        message: `kafka.sasl.mechanism${mechanism === undefined ? "" : ` '${mechanism}'`} is not enabled on the broker (UNSUPPORTED_SASL_MECHANISM): ${offered}; set kafka.sasl.mechanism to "scram-sha-512"`,
      };
    }
    if (name === "KafkaJSSASLAuthenticationError" || type === "SASL_AUTHENTICATION_FAILED")
      return {
        kafkaType: "SASL_AUTHENTICATION_FAILED",
        message: `kafka: the broker refused the SASL login of ${context.user === undefined ? "the user in kafka.sasl.username" : `user '${context.user}' (kafka.sasl.username)`}: check that kafka.sasl.password (its file or variable) holds that user's current password and that the user exists on the cluster (kafka-configs --describe --entity-type users)`,
      };
    if (TLS_VERIFY_CODES.has(code))
      return {
        kafkaType: "TLS_VERIFY_FAILED",
        message: `kafka: the broker's TLS certificate did not verify against kafka.tls.ca (${code}): point kafka.tls.ca at the PEM file of the CA that signed the broker's certificate`,
      };
    if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
      return {
        kafkaType: "TLS_VERIFY_FAILED",
        message: `kafka: the broker's TLS certificate is not valid for the host connected to (${message.replace(/^Connection error: /, "")}): list the brokers in kafka.brokers by a name their certificate holds`,
      };
    if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || /wrong version number/.test(message))
      return {
        kafkaType: "TLS_HANDSHAKE_FAILED",
        message: `kafka: the TLS handshake failed (${code || "wrong version number"}): the broker's listener does not speak TLS; point kafka.brokers at its SASL_SSL listener, or remove kafka.tls for a plaintext one`,
      };
    if (type === "TOPIC_AUTHORIZATION_FAILED") {
      const topic = str(e.topic) || context.topic;
      if (topic === undefined)
        return {
          kafkaType: type,
          message: `kafka ${context.operation}: ${who} is not allowed to use a topic it asked for (TOPIC_AUTHORIZATION_FAILED): an ACL allowing ${TOPIC_OPERATION[context.operation] ?? "READ"} on it for ${who} is missing (${ACLS_HINT})`,
        };
      const op = TOPIC_OPERATION[context.operation] ?? "READ";
      return {
        kafkaType: type,
        message: `kafka ${context.operation}: ${who} is not allowed to use topic ${topic} (TOPIC_AUTHORIZATION_FAILED): an ACL allowing ${op} on ${topic} for ${who} is missing (${ACLS_HINT})`,
      };
    }
    if (type === "GROUP_AUTHORIZATION_FAILED") {
      const group = context.group ?? "(the consumer group)";
      return {
        kafkaType: type,
        message: `kafka ${context.operation}: ${who} is not allowed to use consumer group ${group} (GROUP_AUTHORIZATION_FAILED): an ACL allowing READ, DESCRIBE and DELETE on group ${group} for ${who} is missing (${ACLS_HINT})`,
      };
    }
    if (type === "CLUSTER_AUTHORIZATION_FAILED")
      return {
        kafkaType: type,
        message: `kafka ${context.operation}: ${who} is not allowed this cluster operation (CLUSTER_AUTHORIZATION_FAILED): a region needs DESCRIBE on the cluster; creating ACLs or users needs a super user (${ACLS_HINT})`,
      };
  }
  return undefined;
}
