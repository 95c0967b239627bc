import { describe, expect, it } from "vitest";
import { parsePort, parseRegions, stackConfig } from "../config.ts";
import { StackError } from "../errors.ts";

describe("parseRegions", () => {
  it("defaults to us-east, eu-west, ap-south", () => {
    expect(parseRegions(undefined)).toEqual(["us-east", "eu-west", "ap-south"]);
    expect(parseRegions("  ")).toEqual(["us-east", "eu-west", "ap-south"]);
  });

  it("reads a comma list, trimming blanks", () => {
    expect(parseRegions(" a1, b-2 ,")).toEqual(["a1", "b-2"]);
  });

  it("refuses invalid ids with the fix", () => {
    expect(() => parseRegions("us-east,EU")).toThrow(StackError);
    expect(() => parseRegions("us-east,EU")).toThrow(
      "GEOREP_REGIONS='us-east,EU' is invalid: 'EU' must be a region id like 'us-east'",
    );
  });

  it("refuses duplicates and too many regions", () => {
    expect(() => parseRegions("a,a")).toThrow("region ids must be unique");
    expect(() => parseRegions(Array.from({ length: 11 }, (_, i) => `r${i}`).join(","))).toThrow(
      "at most 10 regions",
    );
  });
});

describe("parsePort", () => {
  it("defaults, parses and refuses", () => {
    expect(parsePort("P", undefined, 6379)).toBe(6379);
    expect(parsePort("P", "6380", 6379)).toBe(6380);
    expect(() => parsePort("GEOREP_REDIS_PORT", "redis", 6379)).toThrow(
      "GEOREP_REDIS_PORT='redis' is not a TCP port",
    );
    expect(() => parsePort("P", "70000", 1)).toThrow(StackError);
  });
});

describe("stackConfig", () => {
  it("gives each region a port from 55431 and a data dir and log under .stack", () => {
    const config = stackConfig("/repo", {});
    expect(config.regions).toEqual([
      {
        id: "us-east",
        port: 55431,
        dataDir: "/repo/.stack/pg/us-east",
        logFile: "/repo/.stack/logs/pg-us-east.log",
      },
      {
        id: "eu-west",
        port: 55432,
        dataDir: "/repo/.stack/pg/eu-west",
        logFile: "/repo/.stack/logs/pg-eu-west.log",
      },
      {
        id: "ap-south",
        port: 55433,
        dataDir: "/repo/.stack/pg/ap-south",
        logFile: "/repo/.stack/logs/pg-ap-south.log",
      },
    ]);
    expect(config.kafka).toMatchObject({
      port: 19092,
      controllerPort: 19093,
      libsDir: "/repo/tools/kafka/target/libs",
      logFile: "/repo/.stack/logs/kafka.log",
    });
    expect(config.redis).toMatchObject({ externalPort: 6379, managedPort: 16379 });
    expect(config.endpointsFile).toBe("/repo/.stack/endpoints.json");
  });
});
