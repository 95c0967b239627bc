import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETENTION_MS,
  compareTopicConfig,
  minInsyncProblem,
  topicConfigEntries,
  topicSettingsSchema,
} from "../src/topic-settings.ts";

const defaults = topicSettingsSchema.parse({});

/** The config a topic created with `entries` reports (every value as the broker prints it). */
const asActual = (entries: ReadonlyArray<{ name: string; value: string }>) =>
  new Map(entries.map((e) => [e.name, e.value]));

describe("topic settings", () => {
  it("default to Kafka's 7 days and one in-sync replica", () => {
    expect(defaults).toEqual({ retentionMs: DEFAULT_RETENTION_MS, minInsyncReplicas: 1 });
    expect(DEFAULT_RETENTION_MS).toBe(604_800_000);
  });

  it("are created with every entry explicit", () => {
    expect(topicConfigEntries({ retentionMs: 3_600_000, minInsyncReplicas: 2 }, 9_437_184)).toEqual(
      [
        { name: "retention.ms", value: "3600000" },
        { name: "cleanup.policy", value: "delete" },
        { name: "min.insync.replicas", value: "2" },
        { name: "compression.type", value: "producer" },
        { name: "max.message.bytes", value: "9437184", atLeast: true },
      ],
    );
  });

  it("refuse a retention under a minute, naming the fix, and accept -1 (for ever)", () => {
    const r = topicSettingsSchema.safeParse({ retentionMs: 1_000 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["retentionMs"]);
    expect(r.error?.issues[0]?.message).toBe(
      "must be at least 60000 (1 minute), or -1 to keep records for ever; size it to cover the longest outage of a region (docs/operate.md, Retention)",
    );
    expect(topicSettingsSchema.parse({ retentionMs: -1 }).retentionMs).toBe(-1);
    expect(topicSettingsSchema.safeParse({ retention: 1 }).success).toBe(false);
  });

  it("refuse more in-sync replicas than the replication factor", () => {
    expect(minInsyncProblem({ ...defaults, minInsyncReplicas: 2 }, 3)).toBeUndefined();
    expect(minInsyncProblem({ ...defaults, minInsyncReplicas: 2 }, 1)).toBe(
      "minInsyncReplicas (2) must not exceed replicationFactor (1): every acks=all send would be refused (NOT_ENOUGH_REPLICAS); lower minInsyncReplicas or raise replicationFactor",
    );
  });
});

describe("compareTopicConfig", () => {
  const wanted = topicConfigEntries(defaults, 9_437_184);

  it("finds nothing on a topic created with the same settings", () => {
    expect(compareTopicConfig("t", wanted, asActual(wanted))).toEqual([]);
  });

  it("reports every differing setting with its actual and wanted value", () => {
    const actual = asActual([
      ...wanted,
      { name: "retention.ms", value: "86400000" },
      { name: "cleanup.policy", value: "compact" },
    ]);
    expect(compareTopicConfig("georep.us-east", wanted, actual)).toEqual([
      { topic: "georep.us-east", setting: "retention.ms", actual: "86400000", wanted: "604800000" },
      { topic: "georep.us-east", setting: "cleanup.policy", actual: "compact", wanted: "delete" },
    ]);
  });

  it("takes a message limit at or above the wanted one, and reports one below", () => {
    const above = asActual([...wanted, { name: "max.message.bytes", value: "20000000" }]);
    expect(compareTopicConfig("t", wanted, above)).toEqual([]);
    const below = asActual([...wanted, { name: "max.message.bytes", value: "1048588" }]);
    expect(compareTopicConfig("t", wanted, below)).toEqual([
      { topic: "t", setting: "max.message.bytes", actual: "1048588", wanted: "9437184" },
    ]);
  });

  it("reports a setting the broker did not report as unset", () => {
    const actual = asActual(wanted.filter((w) => w.name !== "compression.type"));
    expect(compareTopicConfig("t", wanted, actual)).toEqual([
      { topic: "t", setting: "compression.type", actual: undefined, wanted: "producer" },
    ]);
  });
});
