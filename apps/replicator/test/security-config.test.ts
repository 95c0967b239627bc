import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, parseReplicatorConfig, pgLogin, plaintextLinks } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "georep-security-config-"));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};
// A real (throwaway) certificate: the parser checks that the CA file is one.
const CA = `-----BEGIN CERTIFICATE-----
MIIBfTCCASOgAwIBAgIUYH7bNftpaXO2GFaovDnbXQPfZnAwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJdGhyb3dhd2F5MB4XDTI2MTIwMjE4Mzk1N1oXDTM2MTEyOTE4
Mzk1N1owFDESMBAGA1UEAwwJdGhyb3dhd2F5MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAExiK/sNPRShcfR+Mz22BYCBsXV65w4XN81d/ZNVGRCX4WHJ+QnS7io3zE
qkZH3SVf9OJkdEA3eDuW5wJ6ad4CdaNTMFEwHQYDVR0OBBYEFB0pIieuOlqAijO1
3uPXC6kjnP3AMB8GA1UdIwQYMBaAFB0pIieuOlqAijO13uPXC6kjnP3AMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAN7TJ2dpDXr3aNCAq+1pAmJ9
JjpIeEMBcBw9guRfizcnAiBLnwivGRbEznUVVPEsNSTrhE52sgqGls8IT4LukpME
9Q==
-----END CERTIFICATE-----
`;

const base = {
  region: "us-east",
  regions: [{ id: "us-east" }, { id: "eu-west" }],
  postgres: { url: "postgres://postgres@localhost:55451/app" },
  kafka: { brokers: ["localhost:19392"] },
  tables: ["counting_results"],
};
const env = { PG_ADMIN: "admin-pw-1", PG_CAPTURE: "capture-pw-2", PG_MERGE: "merge-pw-3" };

function refusal(input: unknown, environment: NodeJS.ProcessEnv = env): ConfigError {
  try {
    parseReplicatorConfig(input, environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("secrets and TLS in the replicator config", () => {
  it("gives each job its role's login; the admin login is the URL's user", () => {
    const config = parseReplicatorConfig(
      {
        ...base,
        postgres: {
          ...base.postgres,
          password: { env: "PG_ADMIN" },
          roles: {
            capture: { password: { env: "PG_CAPTURE" } },
            merge: { user: "merge_eu", password: { file: file("merge", "merge-pw-3\n") } },
          },
        },
      },
      env,
    );
    expect(pgLogin(config.postgres, "admin")).toEqual({
      url: base.postgres.url,
      password: "admin-pw-1",
    });
    expect(pgLogin(config.postgres, "capture")).toEqual({
      url: "postgres://georep_reader@localhost:55451/app",
      password: "capture-pw-2",
    });
    expect(pgLogin(config.postgres, "merge")).toEqual({
      url: "postgres://merge_eu@localhost:55451/app",
      password: "merge-pw-3",
    });
    // The parsed config prints no secret, however it is printed.
    for (const text of [
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      String(config.postgres.password),
    ])
      for (const secret of Object.values(env)) expect(text).not.toContain(secret);
  });

  it("reads the peers' read-only login, and refuses one that is the capture or merge role", () => {
    const roles = {
      capture: { password: { env: "PG_CAPTURE" } },
      merge: { password: { env: "PG_MERGE" } },
    };
    const config = parseReplicatorConfig(
      {
        ...base,
        postgres: {
          ...base.postgres,
          roles: { ...roles, peer: { password: { env: "PG_ADMIN" } } },
        },
      },
      env,
    );
    expect(config.postgres.roles?.peer?.user).toBe("georep_peer");
    expect(config.postgres.roles?.peer?.password.reveal()).toBe("admin-pw-1");
    const error = refusal({
      ...base,
      postgres: {
        ...base.postgres,
        roles: { ...roles, peer: { user: "georep_reader", password: { env: "PG_ADMIN" } } },
      },
    });
    expect(error.field).toBe("postgres.roles.peer.user");
    expect(error.message).toMatch(/must be a login of its own/);
  });

  it("reads Kafka's CA and SCRAM login, and Redis' CA and ACL login", () => {
    const ca = file("ca.crt", CA);
    const config = parseReplicatorConfig(
      {
        ...base,
        kafka: {
          ...base.kafka,
          tls: { ca },
          sasl: {
            mechanism: "scram-sha-512",
            username: "georep-us-east",
            password: { env: "PG_MERGE" },
          },
        },
        redis: {
          url: "rediss://localhost:16479",
          tls: { ca },
          username: "georep",
          password: { env: "PG_CAPTURE" },
        },
      },
      env,
    );
    expect(config.kafkaSecurity?.ca).toBe(CA);
    expect(config.kafkaSecurity?.sasl.password.reveal()).toBe("merge-pw-3");
    expect(config.redisSecurity?.password?.reveal()).toBe("capture-pw-2");
    expect(JSON.stringify(config)).not.toContain("merge-pw-3");
  });

  it("names every link left without verified TLS", () => {
    const ca = file("ca-links.crt", CA);
    expect(
      plaintextLinks(parseReplicatorConfig({ ...base, redis: { url: "redis://h:6379" } }, env)),
    ).toEqual(["postgres.url (sslmode=verify-full)", "kafka (tls and sasl)", "redis (tls)"]);
    const secured = parseReplicatorConfig(
      {
        ...base,
        postgres: {
          url: `${base.postgres.url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`,
        },
        kafka: {
          ...base.kafka,
          tls: { ca },
          sasl: { mechanism: "scram-sha-512", username: "u", password: { env: "PG_ADMIN" } },
        },
      },
      env,
    );
    expect(plaintextLinks(secured)).toEqual([]);
  });

  it.each([
    [
      { ...base, postgres: { url: "postgres://postgres:hunter2@localhost:5432/app" } },
      "postgres.url",
      "must not carry a password",
    ],
    [
      { ...base, postgres: { ...base.postgres, password: "hunter2" } },
      "postgres.password",
      "never the secret itself",
    ],
    [
      { ...base, postgres: { ...base.postgres, password: { env: "NOT_SET" } } },
      "postgres.password",
      "environment variable NOT_SET is not set",
    ],
    [
      { ...base, postgres: { ...base.postgres, password: { file: "/nonexistent/pw" } } },
      "postgres.password",
      "cannot read secret file '/nonexistent/pw' (ENOENT)",
    ],
    [
      {
        ...base,
        postgres: {
          url: `${base.postgres.url}?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt`,
        },
      },
      "postgres.url",
      "sslrootcert: cannot read CA certificate '/nonexistent/ca.crt' (ENOENT)",
    ],
    [
      {
        ...base,
        kafka: {
          ...base.kafka,
          tls: { ca: "/nonexistent/ca.crt" },
          sasl: { mechanism: "scram-sha-512", username: "u", password: { env: "PG_ADMIN" } },
        },
      },
      "kafka.tls.ca",
      "cannot read CA certificate '/nonexistent/ca.crt' (ENOENT)",
    ],
    [
      {
        ...base,
        kafka: {
          ...base.kafka,
          tls: { ca: file("not-a-cert", "hello") },
          sasl: { mechanism: "scram-sha-512", username: "u", password: { env: "PG_ADMIN" } },
        },
      },
      "kafka.tls.ca",
      "is not a PEM certificate",
    ],
    [
      {
        ...base,
        kafka: {
          ...base.kafka,
          sasl: { mechanism: "plain", username: "u", password: { env: "PG_ADMIN" } },
        },
      },
      "kafka.sasl.mechanism",
      "scram-sha-512",
    ],
    [
      { ...base, kafka: { ...base.kafka, tls: { ca: file("ca2.crt", CA) } } },
      "kafka.sasl",
      "go together",
    ],
    [
      { ...base, redis: { url: "rediss://georep:hunter2@localhost:16479" } },
      "redis.url",
      "must not carry a password",
    ],
  ])("refuses %j at '%s'", (input, field, text) => {
    const error = refusal(input);
    expect(error.field).toBe(field);
    expect(error.message).toContain(text);
    expect(error.message).not.toContain("hunter2");
  });
});
