import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "@georep/contract";
import { countingResultsSpec, parseTableSpec } from "@georep/schema";
import { MergerConfigError } from "../src/errors.ts";
import { checkTopology, parseMergerOptions } from "../src/options.ts";

const spec = parseTableSpec(countingResultsSpec);

describe("merger options", () => {
  it("fills defaults", () => {
    expect(parseMergerOptions(undefined)).toMatchObject({
      maxMessageBytes: MAX_MESSAGE_BYTES,
      maxBytesPerPartition: MAX_MESSAGE_BYTES,
      conflictRetentionHours: 168,
      poolSize: 5,
      topic: { retentionMs: 604_800_000, minInsyncReplicas: 1 },
    });
  });

  it.each([
    [
      { poolSize: 1 },
      "merger options: poolSize must be at least 2 (one merging connection, one for housekeeping)",
    ],
    [
      { maxMessageBytes: 10_000_000 },
      "merger options: maxBytesPerPartition must be at least maxMessageBytes, or a largest allowed message could never be fetched; raise it",
    ],
    [{ retentionIntervalMs: 5 }, "merger options: retentionIntervalMs must be at least 1000 (ms)"],
    [
      { topic: { minInsyncReplicas: 2 } },
      "merger options: topic.minInsyncReplicas minInsyncReplicas (2) must not exceed replicationFactor (1): every acks=all send would be refused (NOT_ENOUGH_REPLICAS); lower minInsyncReplicas or raise replicationFactor",
    ],
    [
      { topic: { retentionMs: 10 } },
      "merger options: topic.retentionMs must be at least 60000 (1 minute), or -1 to keep records for ever; size it to cover the longest outage of a region (docs/operate.md, Retention)",
    ],
  ])("names the field and the fix: %j", (input, message) => {
    expect(() => parseMergerOptions(input)).toThrow(message);
  });

  it("refuses unknown fields", () => {
    expect(() => parseMergerOptions({ batchSize: 3 })).toThrow(MergerConfigError);
  });

  it("cross-checks the topology", () => {
    expect(() => checkTopology("eu", [{ id: "us" }], [spec])).toThrow(
      "merger: region 'eu' is not in regions [us]; add it",
    );
    expect(() => checkTopology("eu", [{ id: "eu" }], [spec])).toThrow("at least one other region");
    expect(() => checkTopology("eu", [{ id: "eu" }, { id: "eu" }], [spec])).toThrow("twice");
    expect(() => checkTopology("eu", [{ id: "eu" }, { id: "us" }], [])).toThrow(
      "at least one replicated table",
    );
    expect(checkTopology("eu", [{ id: "eu" }, { id: "us" }], [spec])).toHaveLength(1);
  });
});
