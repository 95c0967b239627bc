import { describe, expect, it } from "vitest";
import { sourceClusters } from "../src/source-clusters.ts";

const regions = [{ id: "us-east" }, { id: "eu-west", zone: "eu" }, { id: "ap-south" }];

describe("sourceClusters", () => {
  it("puts every source topic on the shared cluster when no region names its own", () => {
    expect(sourceClusters("us-east", regions, { brokers: ["k:9092"] })).toEqual([
      {
        brokers: ["k:9092"],
        origins: ["eu-west", "ap-south"],
        topics: ["georep.eu-west", "georep.ap-south"],
      },
    ]);
  });

  it("gives each origin with its own cluster a group of its topics, zone topics included", () => {
    const groups = sourceClusters("eu-west", regions, {
      brokers: ["shared:9092"],
      clusters: { "us-east": ["us:9092"], "ap-south": ["ap:9092"] },
    });
    expect(groups).toEqual([
      {
        brokers: ["us:9092"],
        origins: ["us-east"],
        topics: ["georep.us-east", "georep.us-east.zone.eu"],
      },
      {
        brokers: ["ap:9092"],
        origins: ["ap-south"],
        topics: ["georep.ap-south", "georep.ap-south.zone.eu"],
      },
    ]);
  });

  it("treats broker lists with the same addresses in another order as one cluster", () => {
    const groups = sourceClusters("us-east", regions, {
      brokers: ["a:1"],
      clusters: { "eu-west": ["b:1", "c:1"], "ap-south": ["c:1", "b:1"] },
    });
    expect(groups.map((g) => g.origins)).toEqual([["eu-west", "ap-south"]]);
  });
});
