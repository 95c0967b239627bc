import { describe, expect, it } from "vitest";
import { heartbeatProgress } from "../../src/stream/heartbeat-progress.ts";

describe("heartbeatProgress (the heartbeat row's stable and applied columns)", () => {
  it("reads the stamps as decimal strings", () => {
    expect(heartbeatProgress("7716", '{"eu-west": "7700", "ap-south": "7600"}')).toEqual({
      stable: "7716",
      applied: { "eu-west": "7700", "ap-south": "7600" },
    });
  });
  it("is absent on a database before migration 7 (no such columns) or with NULLs", () => {
    expect(heartbeatProgress(undefined, undefined)).toBeUndefined();
    expect(heartbeatProgress(null, "{}")).toBeUndefined();
    expect(heartbeatProgress("1", null)).toBeUndefined();
  });
  it("is absent, never wrong, when the columns do not parse", () => {
    expect(heartbeatProgress("1", "{not json")).toBeUndefined();
    expect(heartbeatProgress("-1", "{}")).toBeUndefined();
    expect(heartbeatProgress("1", '{"eu-west": 7700}')).toBeUndefined();
  });
});
