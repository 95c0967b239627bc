import { isBrokerUnreachable } from "./broker-unreachable.ts";
import { securityRefusal } from "./security-errors.ts";

/** Where a Kafka operation failed; carried by every KafkaError. */
export interface KafkaErrorContext {
  readonly operation:
    | "connect"
    | "send"
    | "ensure-topics"
    | "read-tail"
    | "disconnect"
    | "delete-group"
    | "consume"
    | "acls";
  readonly topic?: string;
  readonly group?: string;
  readonly partition?: number;
  /** The SASL user of the client, named in a refusal's message (never its password). */
  readonly user?: string;
  /** The client's SASL mechanism and, after a refusal of it, those the broker enables. */
  readonly mechanism?: string;
  readonly offered?: readonly string[];
}

/**
 * Every failure that leaves this package. `retriable` mirrors kafkajs' own flag (transient
 * broker, network and leadership errors); callers decide on retries from that flag alone.
 */
export class KafkaError extends Error {
  override readonly name = "KafkaError";
  readonly retriable: boolean;
  readonly context: KafkaErrorContext;
  /** Kafka protocol error type when the broker gave one (e.g. NOT_LEADER_OR_FOLLOWER). */
  readonly kafkaType: string | undefined;

  constructor(
    message: string,
    options: {
      cause?: unknown;
      retriable: boolean;
      context: KafkaErrorContext;
      kafkaType?: string;
    },
  ) {
    super(message, { cause: options.cause });
    this.retriable = options.retriable;
    this.context = options.context;
    this.kafkaType = options.kafkaType;
  }
}

interface KafkaJsLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly retriable?: unknown;
  readonly type?: unknown;
  readonly topic?: unknown;
  readonly partition?: unknown;
}

/** Wraps anything kafkajs threw into a KafkaError, keeping its retriable flag and context. */
export function toKafkaError(error: unknown, context: KafkaErrorContext): KafkaError {
  if (error instanceof KafkaError) return error;
  const e = (typeof error === "object" && error !== null ? error : {}) as KafkaJsLike;
  const message = typeof e.message === "string" ? e.message : String(error);
  const name = typeof e.name === "string" ? e.name : "Error";
  const refusal = securityRefusal(error, { ...context, ...found(e) });
  if (refusal !== undefined)
    // Refusals are not transient: the same credentials, CA or ACLs get the same answer.
    return new KafkaError(refusal.message, {
      cause: error,
      retriable: false,
      context: { ...context, ...found(e) },
      kafkaType: refusal.kafkaType,
    });
  const where =
    context.topic === undefined
      ? ""
      : ` (topic ${context.topic}${context.partition === undefined ? "" : `, partition ${context.partition}`})`;
  return new KafkaError(`kafka ${context.operation} failed${where}: ${name}: ${message}`, {
    cause: error,
    // Connection-level errors are transient; unknown errors are treated as retriable too, so a
    // caller's loop keeps trying instead of losing data. Only kafkajs' explicit `false` stops it,
    // except on its retries running out against a broker that did not answer: time fixes that.
    retriable: e.retriable !== false || isBrokerUnreachable(error),
    context: { ...context, ...found(e) },
    ...(typeof e.type === "string" ? { kafkaType: e.type } : {}),
  });
}

/** The topic and partition a kafkajs error names. */
const found = (e: KafkaJsLike): { topic?: string; partition?: number } => ({
  ...(typeof e.topic === "string" ? { topic: e.topic } : {}),
  ...(typeof e.partition === "number" ? { partition: e.partition } : {}),
});

/** Security refusals: the login, the CA or an ACL must change; retrying cannot help. */
const REFUSALS = new Set([
  "UNSUPPORTED_SASL_MECHANISM",
  "SASL_AUTHENTICATION_FAILED",
  "TLS_VERIFY_FAILED",
  "TLS_HANDSHAKE_FAILED",
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
]);

/** Whether the broker refused the login, the TLS handshake or an operation (missing ACL). */
export function isSecurityRefusal(error: unknown): error is KafkaError {
  return (
    error instanceof KafkaError && error.kafkaType !== undefined && REFUSALS.has(error.kafkaType)
  );
}

/**
 * Whether the cluster could not be reached (or answered only with a condition that passes):
 * retrying later can succeed, unlike a refusal. What waiting for a region's cluster decides by.
 */
export function isRetriable(error: unknown): error is KafkaError {
  return error instanceof KafkaError && error.retriable;
}

/** The client's login as a refusal names it: never the password. */
export interface LoginContext {
  readonly user: string;
  readonly mechanism: string;
  readonly offered?: readonly string[];
}

/**
 * `error` with the client's login named when it is a security refusal (the modules that meet
 * the failure know the kafkajs client, not the login); any other error unchanged.
 */
export function withLogin(error: unknown, login: LoginContext | undefined): unknown {
  if (login === undefined || !isSecurityRefusal(error) || error.context.user !== undefined)
    return error;
  return toKafkaError(error.cause, { ...error.context, ...login });
}

/** Broker refusals of a record (or a partition's batch) as larger than the topic accepts. */
const TOO_LARGE = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE"]);

/** Whether the broker refused the records for their size: sending them again cannot succeed. */
export function isRecordTooLarge(error: unknown): boolean {
  return (
    error instanceof KafkaError && error.kafkaType !== undefined && TOO_LARGE.has(error.kafkaType)
  );
}
