import { describe, expect, it } from "vitest";
import { z } from "zod";
import { zoneIdSchema, zoneTopic } from "../src/index.ts";

describe("zoneIdSchema", () => {
  it.each(["eu", "gdpr", "eu-central", "z2", `a${"b".repeat(30)}`])("accepts %j", (zone) => {
    expect(zoneIdSchema.parse(zone)).toBe(zone);
    // A zone id keeps its topic name within Kafka's alphabet, '_' aside (it collides with '.').
    expect(zoneTopic("us-east", zone)).toMatch(/^[a-z0-9.-]+$/);
  });

  it.each([
    "",
    "EU",
    // '_' and '-' were each accepted by one of two earlier rules; '-' is the one kept.
    "eu_central",
    "1eu",
    "-eu",
    // '.' separates the parts of a topic name: georep.<origin>.zone.<zone>.
    "eu.central",
    `a${"b".repeat(31)}`,
  ])("refuses %j", (zone) => {
    expect(zoneIdSchema.safeParse(zone).success).toBe(false);
  });

  it("says, under the field's path, what a zone id is and gives one to copy", () => {
    const result = z.object({ zone: zoneIdSchema }).safeParse({ zone: "eu_central" });
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(["zone"]);
    expect(issue?.message).toBe(
      "must be a zone id like 'eu': 1-31 lower-case letters, digits and '-', starting with a letter",
    );
    expect(zoneIdSchema.safeParse(7).error?.issues[0]?.message).toBe(issue?.message);
  });
});
