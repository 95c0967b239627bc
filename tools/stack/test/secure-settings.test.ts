import { describe, expect, it } from "vitest";
import { clusterSettings } from "../postgres.ts";
import { secureConfig } from "../secure-config.ts";
import { secureClusterSettings, secureHba } from "../secure-postgres.ts";
import { georepNodeRule, georepSentinelRule, secureGroupSecurity } from "../secure-redis.ts";
import { buildSecureEndpoints } from "../secure-stack.ts";
import { groupConfigs } from "../sentinel.ts";

const config = secureConfig("/repo", {});

describe("secure PostgreSQL settings", () => {
  const lines = secureClusterSettings(55451, "/repo/.stack/secure/pg/run").split("\n");
  it("keeps the plain clusters' settings and adds TLS and SCRAM", () => {
    for (const line of clusterSettings(55451)
      .split("\n")
      .filter((l) => /wal|max_|shared/.test(l)))
      expect(lines).toContain(line);
    for (const line of [
      "ssl = on",
      "ssl_cert_file = 'server.crt'",
      "ssl_key_file = 'server.key'",
      "password_encryption = 'scram-sha-256'",
      "listen_addresses = 'localhost'",
      "unix_socket_directories = '/repo/.stack/secure/pg/run'",
    ])
      expect(lines).toContain(line);
  });
  it("names each setting once", () => {
    const names = lines.filter((l) => l.includes(" = ")).map((l) => l.split(" = ")[0]);
    expect(new Set(names).size).toBe(names.length);
  });

  it("admits TCP only with TLS and a SCRAM password, plaintext rejected first", () => {
    const rules = secureHba()
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"));
    expect(rules.filter((r) => r.startsWith("host ") || r.includes("trust"))).toEqual([]);
    expect(
      rules.filter((r) => r.startsWith("hostssl")).every((r) => r.endsWith("scram-sha-256")),
    ).toBe(true);
    const firstTls = rules.findIndex((r) => r.startsWith("hostssl"));
    const lastReject = rules.findLastIndex((r) => r.startsWith("hostnossl"));
    expect(lastReject).toBeLessThan(firstTls);
    expect(rules).toContain("hostnossl all all 0.0.0.0/0 reject");
    expect(rules).toContain("hostnossl replication all 0.0.0.0/0 reject");
    expect(rules).toContain("local all postgres peer map=stack");
  });
});

describe("secure Redis settings", () => {
  const secrets = {
    georep: "pw-1-georep",
    replica: "pw-2-replica",
    sentinel: "pw-3-sentinel",
    sentinelGeorep: "pw-4-sentinel-georep",
    sentinelPeer: "pw-5-sentinel-peer",
  };
  const cert = { certFile: "/c.crt", keyFile: "/c.key", chainFile: "/c-chain.crt" };
  const security = secureGroupSecurity(cert, "/dev/null", secrets);
  const configs = groupConfigs({
    dir: config.redis.dir,
    masterName: config.redis.masterName,
    ports: config.redis,
    security,
  });

  it("listens with TLS only, towards clients and peers", () => {
    expect(configs.map((c) => `${c.kind}:${c.port}`)).toEqual([
      "redis:16479",
      "redis:16480",
      "sentinel:16481",
      "sentinel:16482",
      "sentinel:16483",
    ]);
    for (const c of configs) {
      const lines = c.text.split("\n");
      expect(lines).toContain("port 0");
      expect(lines).toContain(`tls-port ${c.port}`);
      expect(lines).toContain("tls-replication yes");
      expect(lines).toContain("user default off resetpass -@all");
    }
    expect(configs[1]?.text).toContain("replicaof 127.0.0.1 16479");
  });

  it("gives georep its keys and channels only, without dangerous commands", () => {
    expect(georepNodeRule).toMatch(/^resetkeys ~georep:\* resetchannels &georep:\* -@all /);
    for (const denied of ["@all", "@dangerous", "keys", "flushall", "config", "@admin", "script"])
      expect(georepNodeRule.split(" ")).not.toContain(`+${denied}`);
    expect(georepSentinelRule).not.toMatch(/\+sentinel( |$)|\+@all|failover/);
  });

  it("puts each password only in the config of the processes that need it", () => {
    const node = configs[0]?.text ?? "";
    const sentinel = configs[2]?.text ?? "";
    expect(node).toContain(secrets.georep);
    expect(node).toContain(secrets.replica);
    expect(node).not.toContain(secrets.sentinelPeer);
    expect(sentinel).toContain(secrets.sentinel);
    expect(sentinel).toContain(secrets.sentinelPeer);
    expect(sentinel).not.toContain(secrets.georep);
  });
});

describe("secure endpoints", () => {
  it("name files, never passwords, and pass the testkit's schema", () => {
    const endpoints = buildSecureEndpoints(
      config,
      "/repo/.stack/secure/ca/ca.crt",
      (name) => `/secrets/${name}`,
    );
    expect(endpoints.regions.map((r) => [r.id, r.host, r.port])).toEqual([
      ["us-east", "localhost", 55451],
      ["eu-west", "localhost", 55452],
      ["ap-south", "localhost", 55453],
    ]);
    expect(endpoints.redis).toMatchObject({
      host: "localhost",
      port: 16479,
      username: "georep",
      passwordFile: "/secrets/redisGeorep",
      sentinels: [16481, 16482, 16483].map((port) => ({ host: "localhost", port })),
      masterName: "georep",
    });
    expect(endpoints.kafka).toBeUndefined();
  });
});
