import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isRegionId } from "@georep/crdt";
import { regionIdSchema, replicaIdSchema } from "../src/index.ts";

describe("regionIdSchema", () => {
  it.each(["us-east", "ap-south-2", "a", `a${"b".repeat(30)}`])("accepts %j", (id) => {
    expect(regionIdSchema.parse(id)).toBe(id);
    // Every region id is a key the CRDT core accepts.
    expect(isRegionId(id)).toBe(true);
  });

  it.each([
    "",
    "US",
    "us_east",
    "1us",
    "-us",
    // '.' separates a region from its incarnation in a replica id.
    "us.east",
    `a${"b".repeat(31)}`,
    // Shadows Object.prototype: the CRDT core refuses it as a record key.
    "constructor",
  ])("refuses %j", (id) => {
    expect(regionIdSchema.safeParse(id).success).toBe(false);
  });

  it("says, under the field's path, what a region id is and gives one to copy", () => {
    const result = z.object({ region: regionIdSchema }).safeParse({ region: "US_East" });
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(["region"]);
    expect(issue?.message).toBe(
      "must be a region id like 'us-east': 1-31 lower-case letters, digits and '-', starting with a letter",
    );
    const wrongType = regionIdSchema.safeParse(7);
    expect(wrongType.error?.issues[0]?.message).toContain("must be a region id like 'us-east'");
    expect(regionIdSchema.safeParse("constructor").error?.issues[0]?.message).toBe(
      "is a name JavaScript objects reserve; choose another region id",
    );
  });
});

describe("replicaIdSchema", () => {
  it("accepts a region id and its later incarnations", () => {
    for (const id of ["us-east", "us-east.2", "us-east.1700000000"])
      expect(replicaIdSchema.parse(id)).toBe(id);
  });

  it.each(["us-east.0", "us-east.", "us-east.x", "US.2", "us-east.2.3"])("refuses %j", (id) => {
    expect(replicaIdSchema.safeParse(id).success).toBe(false);
  });
});
