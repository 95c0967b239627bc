import { describe, expect, it } from "vitest";
import { CaptureConfigError } from "../src/errors.ts";
import { parseCaptureConfig } from "../src/options.ts";

const valid = {
  region: "us-east",
  pgUrl: "postgres://h/db",
  slotName: "georep_us_east",
  kafka: { brokers: ["127.0.0.1:9092"] },
};

describe("capture config", () => {
  it("fills defaults", () => {
    const c = parseCaptureConfig(valid);
    expect(c.partitions).toBe(6);
    expect(c.replicationFactor).toBe(1);
    expect(c.topic).toEqual({ retentionMs: 604_800_000, minInsyncReplicas: 1 });
    expect(c.options.lingerMs).toBe(20);
    expect(c.options.compression).toBe("gzip");
  });
  it.each([
    [{ ...valid, slotName: "Bad-Slot" }, "slotName", "lowercase"],
    [{ ...valid, pgUrl: "http://x" }, "pgUrl", "postgres://"],
    [{ ...valid, kafka: { brokers: ["nohost"] } }, "kafka.brokers.0", "host:port"],
    [{ ...valid, zones: ["eu_central"] }, "zones.0", "zones.0: must be a zone id like 'eu'"],
    [
      { ...valid, options: { backoffInitialMs: 5_000, backoffMaxMs: 100 } },
      "options.backoffInitialMs",
      "must not exceed backoffMaxMs",
    ],
    [{ ...valid, options: { lingerMs: 0 } }, "options.lingerMs", ""],
    [
      { ...valid, topic: { minInsyncReplicas: 2 } },
      "topic.minInsyncReplicas",
      "minInsyncReplicas (2) must not exceed replicationFactor (1)",
    ],
    [{ ...valid, topic: { retentionMs: 5 } }, "topic.retentionMs", "at least 60000 (1 minute)"],
  ])("names the field and the fix: %#", (input, field, text) => {
    try {
      parseCaptureConfig(input);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CaptureConfigError);
      expect((error as CaptureConfigError).field).toBe(field);
      expect((error as Error).message).toContain(text);
    }
  });
});
