// TLS and authentication settings of the Kafka and Redis links: the files and secret references
// a config names, checked and read once at start so a missing or broken file is reported by its
// field, not by a handshake failure minutes later.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "./config-error.ts";
import { readSecret, secretRefSchema } from "./secret.ts";
import type { Secret } from "./secret.ts";

/** `{ "ca": "/path/ca.crt" }`: TLS on, the server's certificate checked against this CA. */
export const tlsSchema = z.object({ ca: z.string().min(1, "must be a file path") }).strict();

export const kafkaSaslSchema = z
  .object({
    mechanism: z.literal("scram-sha-512", {
      error: 'must be "scram-sha-512" (the one mechanism georep\'s brokers offer)',
    }),
    username: z.string().min(1),
    password: secretRefSchema,
  })
  .strict();

/** What the Kafka client needs: the CA (PEM text) and the SASL login. */
export interface KafkaSecurity {
  readonly ca: string;
  readonly sasl: {
    readonly mechanism: "scram-sha-512";
    readonly username: string;
    readonly password: Secret;
  };
}

/**
 * The CA certificate file's PEM text.
 * @throws ConfigError naming the field when the file is missing, unreadable or not a certificate.
 */
export function readCaFile(path: string, field: string, label: string = field): string {
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      `${label}: cannot read CA certificate '${path}' (${(error as NodeJS.ErrnoException).code ?? "unreadable"}); point it at the PEM file of the CA that signed the server's certificate`,
      field,
      { cause: error },
    );
  }
  try {
    new X509Certificate(pem);
  } catch (error) {
    throw new ConfigError(
      `${label}: '${path}' is not a PEM certificate; give the CA certificate (-----BEGIN CERTIFICATE-----)`,
      field,
      { cause: error },
    );
  }
  return pem;
}

/**
 * Kafka's TLS + SASL settings, read; undefined when neither is configured.
 * @throws ConfigError naming the field: one without the other, or a file or secret that cannot be read.
 */
export function resolveKafkaSecurity(
  tls: z.output<typeof tlsSchema> | undefined,
  sasl: z.output<typeof kafkaSaslSchema> | undefined,
  env: NodeJS.ProcessEnv = process.env,
): KafkaSecurity | undefined {
  if (tls === undefined && sasl === undefined) return undefined;
  // SCRAM over plaintext would hand the broker's challenge to any observer, and TLS alone names
  // no principal for the ACLs: both or neither.
  if (tls === undefined || sasl === undefined)
    throw new ConfigError(
      `replicator config: kafka.${tls === undefined ? "tls" : "sasl"} is missing; kafka.tls and kafka.sasl go together (SASL_SSL)`,
      `kafka.${tls === undefined ? "tls" : "sasl"}`,
    );
  return {
    ca: readCaFile(tls.ca, "kafka.tls.ca"),
    sasl: {
      mechanism: sasl.mechanism,
      username: sasl.username,
      password: readSecret(sasl.password, "kafka.sasl.password", env),
    },
  };
}
