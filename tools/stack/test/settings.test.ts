import { describe, expect, it } from "vitest";
import { stackConfig } from "../config.ts";
import { buildEndpoints } from "../endpoints.ts";
import { log4j2Yaml, newClusterId, serverProperties } from "../kafka.ts";
import { clusterSettings } from "../postgres.ts";

const config = stackConfig("/repo", {});

describe("clusterSettings", () => {
  const text = clusterSettings(55431);
  it("turns on logical decoding with the agreed limits", () => {
    for (const line of [
      "port = 55431",
      "listen_addresses = '127.0.0.1'",
      "wal_level = logical",
      "max_replication_slots = 20",
      "max_wal_senders = 20",
      "max_slot_wal_keep_size = 1GB",
      "wal_sender_timeout = 60s",
      "shared_buffers = 128MB",
      "max_connections = 200",
    ]) {
      expect(text.split("\n")).toContain(line);
    }
  });
  it("never weakens durability", () => {
    expect(text).not.toMatch(/fsync|synchronous_commit|full_page_writes/);
  });
});

describe("serverProperties", () => {
  const props = new Map(
    serverProperties(config.kafka)
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const),
  );
  it("is one combined KRaft node on 19092/19093 with single-broker replication factors", () => {
    expect(Object.fromEntries(props)).toMatchObject({
      "process.roles": "broker,controller",
      listeners: "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093",
      "controller.quorum.bootstrap.servers": "127.0.0.1:19093",
      "log.dirs": "/repo/.stack/kafka/data",
      "offsets.topic.replication.factor": "1",
      "transaction.state.log.replication.factor": "1",
      "transaction.state.log.min.isr": "1",
      "auto.create.topics.enable": "false",
      "num.partitions": "6",
      "group.initial.rebalance.delay.ms": "0",
      "log.retention.check.interval.ms": "2000",
    });
  });
  it("logs to .stack/logs/kafka.log", () => {
    expect(log4j2Yaml(config.kafka.logFile)).toContain('fileName: "/repo/.stack/logs/kafka.log"');
  });
  it("makes KRaft cluster ids of 22 base64url characters", () => {
    expect(newClusterId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe("buildEndpoints", () => {
  it("writes the documented shape", () => {
    expect(buildEndpoints(config, { url: "redis://127.0.0.1:6379", managed: false })).toEqual({
      regions: [
        { id: "us-east", pgUrl: "postgres://postgres@127.0.0.1:55431/postgres", port: 55431 },
        { id: "eu-west", pgUrl: "postgres://postgres@127.0.0.1:55432/postgres", port: 55432 },
        { id: "ap-south", pgUrl: "postgres://postgres@127.0.0.1:55433/postgres", port: 55433 },
      ],
      kafka: { brokers: ["127.0.0.1:19092"] },
      redis: { url: "redis://127.0.0.1:6379", managed: false },
    });
  });
});
