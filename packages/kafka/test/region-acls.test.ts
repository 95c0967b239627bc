import { describe, expect, it } from "vitest";
import { deadLetterTopic, originTopic, zoneTopic } from "@georep/contract";
import { aclAllows, regionAcls, regionPrincipal } from "../src/region-acls.ts";
import type { AclOperation } from "../src/region-acls.ts";

const usEast = regionAcls({
  region: "us-east",
  zone: "eu",
  peers: [{ id: "us-east-2", zone: "eu" }, { id: "eu-west", zone: "us" }, { id: "ap-south" }],
});
const can = (op: AclOperation, topic: string): boolean => aclAllows(usEast, "TOPIC", topic, op);

describe("regionAcls", () => {
  it("grants one principal, User:georep-<region>, and nothing to anyone else", () => {
    expect(new Set(usEast.map((a) => a.principal))).toEqual(new Set([regionPrincipal("us-east")]));
    expect(regionPrincipal("us-east")).toBe("User:georep-us-east");
  });

  it("lets a region write, read, create and check its own topics: origin, every zone, dead letters", () => {
    for (const topic of [
      originTopic("us-east"),
      zoneTopic("us-east", "eu"),
      zoneTopic("us-east", "us"),
      deadLetterTopic("us-east"),
    ])
      for (const op of [
        "WRITE",
        "READ",
        "CREATE",
        "DESCRIBE",
        "DESCRIBE_CONFIGS",
        "ALTER_CONFIGS",
      ] as const)
        expect(can(op, topic), `${op} ${topic}`).toBe(true);
  });

  it("lets a region read its peers' origin topics and their zone topics of its own zone only", () => {
    for (const peer of ["us-east-2", "eu-west", "ap-south"]) {
      expect(can("READ", originTopic(peer)), peer).toBe(true);
      expect(can("WRITE", originTopic(peer)), peer).toBe(false);
      expect(can("READ", zoneTopic(peer, "eu")), peer).toBe(true);
      expect(can("READ", zoneTopic(peer, "us")), peer).toBe(false);
      expect(can("WRITE", zoneTopic(peer, "eu")), peer).toBe(false);
      expect(can("READ", deadLetterTopic(peer)), peer).toBe(false);
      // Created (with the shared settings) if the peer has not started yet; never reconfigured.
      expect(can("CREATE", originTopic(peer)), peer).toBe(true);
      expect(can("DESCRIBE_CONFIGS", originTopic(peer)), peer).toBe(true);
      expect(can("ALTER_CONFIGS", originTopic(peer)), peer).toBe(false);
    }
  });

  it("gives a region whose id prefixes another's (us-east, us-east-2) nothing of the other's to write", () => {
    expect(usEast.some((a) => a.pattern === "PREFIXED" && !a.name.endsWith("."))).toBe(false);
    for (const topic of [
      originTopic("us-east-2"),
      zoneTopic("us-east-2", "us"),
      deadLetterTopic("us-east-2"),
    ]) {
      expect(can("WRITE", topic), topic).toBe(false);
      expect(can("ALTER_CONFIGS", topic), topic).toBe(false);
    }
    // us-east-2 is a peer: its origin topic may be created (never written) by the merger.
    expect(can("CREATE", zoneTopic("us-east-2", "us"))).toBe(false);
    expect(can("CREATE", deadLetterTopic("us-east-2"))).toBe(false);
    const usEast2 = regionAcls({ region: "us-east-2", peers: [{ id: "us-east" }] });
    expect(aclAllows(usEast2, "TOPIC", originTopic("us-east"), "WRITE")).toBe(false);
    expect(aclAllows(usEast2, "TOPIC", zoneTopic("us-east", "eu"), "READ")).toBe(false);
    expect(aclAllows(usEast2, "GROUP", "georep-merger-us-east", "READ")).toBe(false);
  });

  it("reads no zone topic at all outside a zone", () => {
    const noZone = regionAcls({ region: "ap-south", peers: [{ id: "us-east", zone: "eu" }] });
    expect(aclAllows(noZone, "TOPIC", zoneTopic("us-east", "eu"), "READ")).toBe(false);
    expect(aclAllows(noZone, "TOPIC", originTopic("us-east"), "READ")).toBe(true);
  });

  it("lets a region use, describe and delete its own merge group and tail groups, no one else's", () => {
    for (const op of ["READ", "DESCRIBE", "DELETE"] as const) {
      expect(aclAllows(usEast, "GROUP", "georep-merger-us-east", op)).toBe(true);
      expect(aclAllows(usEast, "GROUP", "georep-tail.georep.us-east.0f3a", op)).toBe(true);
      expect(aclAllows(usEast, "GROUP", "georep-merger-us-east-2", op)).toBe(false);
      expect(aclAllows(usEast, "GROUP", "georep-tail.georep.us-east-2.0f3a", op)).toBe(false);
    }
  });

  it("allows DESCRIBE on the cluster and no other cluster operation", () => {
    const cluster = usEast.filter((a) => a.resource === "CLUSTER");
    expect(cluster.map((a) => a.operation)).toEqual(["DESCRIBE"]);
  });

  it("refuses an invalid region or zone id, naming the field", () => {
    expect(() => regionAcls({ region: "US_EAST", peers: [] })).toThrow(
      /region ACLs: region must be/,
    );
    expect(() => regionAcls({ region: "us-east", peers: [{ id: "x.y" }] })).toThrow(
      /region ACLs: peers\.0\.id/,
    );
  });
});
