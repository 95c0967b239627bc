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
