import { describe, expect, it } from "vitest";
import {
  ConfigError,
  clusterBrokers,
  parseReplicatorConfig,
  regionClusters,
} from "../src/index.ts";

const ok = {
  region: "us-east",
  regions: [{ id: "us-east" }, { id: "eu-west", zone: "eu" }],
  postgres: { url: "postgres://postgres@127.0.0.1:55431/app" },
  kafka: { brokers: ["127.0.0.1:19092"] },
  tables: ["counting_results"],
};

describe("parseReplicatorConfig", () => {
  it("reads each region's own Kafka cluster, the shared brokers for a region without one", () => {
    const config = parseReplicatorConfig({
      ...ok,
      regions: [
        { id: "us-east", kafka: { brokers: ["kafka.us-east:9092"] } },
        { id: "eu-west", zone: "eu" },
      ],
    });
    expect(clusterBrokers(config, "us-east")).toEqual(["kafka.us-east:9092"]);
    expect(clusterBrokers(config, "eu-west")).toEqual(["127.0.0.1:19092"]);
    expect(clusterBrokers(config, "ap-south")).toEqual(["127.0.0.1:19092"]);
    expect(regionClusters(config, [{ id: "us-east" }, { id: "eu-west" }])).toEqual({
      "us-east": ["kafka.us-east:9092"],
      "eu-west": ["127.0.0.1:19092"],
    });
    // The installer is told regions by id and zone only.
    expect(config.schema.regions).toEqual([{ id: "us-east" }, { id: "eu-west", zone: "eu" }]);
  });

  it("fills defaults and derives the slot name", () => {
    const config = parseReplicatorConfig(ok);
    expect(config.kafka.partitions).toBe(6);
    // Production defaults: three replicas, two in sync (a development stack says 1 and 1).
    expect(config.kafka.replicationFactor).toBe(3);
    expect(config.kafka.topic).toEqual({ retentionMs: 604_800_000, minInsyncReplicas: 2 });
    expect(
      parseReplicatorConfig({ ...ok, kafka: { ...ok.kafka, topic: { retentionMs: 60_000 } } }).kafka
        .topic.minInsyncReplicas,
    ).toBe(2);
    expect(config.slot).toBe("georep_us_east");
    expect(config.schema.tables[0]?.name).toBe("counting_results");
    expect(config.role).toBe("all");
    expect(config.merge.sessionTimeoutMs).toBe(10_000);
    expect(parseReplicatorConfig({ ...ok, role: "merge" }).role).toBe("merge");
  });

  it.each([
    [{ ...ok, region: "US" }, "region", "region must be a region id like 'us-east'"],
    [
      { ...ok, regions: [{ id: "us-east" }, { id: "eu.west" }] },
      "regions.1.id",
      "regions.1.id must be a region id like 'us-east'",
    ],
    [
      { ...ok, regions: [{ id: "us-east" }, { id: "eu-west", zone: "eu_central" }] },
      "regions.1.zone",
      "regions.1.zone must be a zone id like 'eu'",
    ],
    [{ ...ok, regions: [{ id: "us-east" }] }, "regions", "at least two regions"],
    [
      { ...ok, regions: [{ id: "us-east", kafka: { brokers: [] } }, { id: "eu-west" }] },
      "regions.0.kafka.brokers",
      "regions.0.kafka.brokers must name at least one broker (host:port)",
    ],
    [
      { ...ok, regions: [{ id: "us-east", kafka: { brokers: ["nohost"] } }, { id: "eu-west" }] },
      "regions.0.kafka.brokers.0",
      "must be host:port",
    ],
    [{ ...ok, region: "ap-south" }, "region", "not in regions"],
    [
      { ...ok, regions: [{ id: "us-east" }, { id: "us-east" }, { id: "eu-west" }] },
      "regions",
      "lists a region twice",
    ],
    [
      { ...ok, peers: [{ region: "us-east", postgres: { url: "postgres://h:1/b" } }] },
      "peers.0.region",
      "must be another configured region",
    ],
    [
      { ...ok, peers: [{ region: "ap-south", postgres: { url: "postgres://h:1/b" } }] },
      "peers.0.region",
      "must be another configured region",
    ],
    [
      { ...ok, peers: [{ region: "eu-west", postgres: { url: ok.postgres.url } }] },
      "peers.0.postgres.url",
      "this region's own database",
    ],
    [{ ...ok, postgres: { url: "not a url" } }, "postgres.url", "postgres:// connection URL"],
    [{ ...ok, kafka: { brokers: ["localhost"] } }, "kafka.brokers.0", "host:port"],
    [{ ...ok, kafka: { brokers: ["a:1"], partitions: 0 } }, "kafka.partitions", ">=1"],
    [
      { ...ok, kafka: { brokers: ["a:1"], topic: { retentionMs: 1_000 } } },
      "kafka.topic.retentionMs",
      "kafka.topic.retentionMs must be at least 60000 (1 minute), or -1 to keep records for ever; size it to cover the longest outage of a region",
    ],
    [
      { ...ok, kafka: { brokers: ["a:1"], replicationFactor: 1, topic: { minInsyncReplicas: 2 } } },
      "kafka.topic.minInsyncReplicas",
      "kafka.topic.minInsyncReplicas (2) must not exceed replicationFactor (1): every acks=all send would be refused (NOT_ENOUGH_REPLICAS); lower minInsyncReplicas or raise replicationFactor",
    ],
    [{ ...ok, tables: [] }, "tables", ">=1"],
    [{ ...ok, role: "capture" }, "role", '"all"'],
    [{ ...ok, tables: [{ name: "Bad" }] }, "tables[0].name", "identifier"],
    [
      { ...ok, lagWarningSeconds: 60, lagCriticalSeconds: 30 },
      "lagWarningSeconds",
      "must be lower than lagCriticalSeconds",
    ],
    [{ ...ok, slotName: "Bad-Slot" }, "slotName", "replication slot name"],
    [{ ...ok, typo: true }, "(root)", "Unrecognized key"],
    [{ ...ok, redis: {} }, "redis", "exactly one of url"],
    [
      { ...ok, redis: { sentinels: [{ host: "s1", port: 26379 }] } },
      "redis.masterName",
      "set masterName",
    ],
  ])("refuses %j at '%s', saying how to fix it", (input, field, text) => {
    let error: unknown;
    try {
      parseReplicatorConfig(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
    expect((error as ConfigError).message).toContain(text);
  });
});
