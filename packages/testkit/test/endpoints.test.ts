import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEndpoints, readEndpoints, regionEndpoint } from "../src/index.ts";

const valid = {
  regions: [{ id: "us-east", pgUrl: "postgres://postgres@127.0.0.1:55431/postgres", port: 55431 }],
  kafka: { brokers: ["127.0.0.1:19092"] },
  redis: { url: "redis://127.0.0.1:6379", managed: false },
};

describe("endpoints", () => {
  it("accepts the shape `pnpm stack up` writes", () => {
    expect(parseEndpoints(valid)).toEqual(valid);
  });

  it("names every invalid field and the fix", () => {
    const bad = {
      ...valid,
      regions: [{ id: "US", pgUrl: "mysql://x", port: 0 }],
      kafka: { brokers: [] },
    };
    expect(() => parseEndpoints(bad, "e.json")).toThrow(
      /^e\.json is invalid \(regions\.0\.id: .*; regions\.0\.pgUrl: pgUrl must be a postgres:\/\/ URL; regions\.0\.port: .*; kafka\.brokers: .*\)\. Run `pnpm stack up` to rewrite it\.$/,
    );
  });

  it("refuses duplicate region ids", () => {
    expect(() =>
      parseEndpoints({ ...valid, regions: [valid.regions[0], valid.regions[0]] }),
    ).toThrow("region ids must be unique");
  });

  it("tells you to run `pnpm stack up` when the file is missing or broken", () => {
    const dir = mkdtempSync(join(tmpdir(), "georep-endpoints-"));
    expect(() => readEndpoints(join(dir, "none.json"))).toThrow(
      `No stack endpoints at ${join(dir, "none.json")}: run \`pnpm stack up\` first.`,
    );
    writeFileSync(join(dir, "bad.json"), "{");
    expect(() => readEndpoints(join(dir, "bad.json"))).toThrow(
      "is not valid JSON: run `pnpm stack up` to rewrite it.",
    );
  });

  it("finds a region or lists the known ones", () => {
    const e = parseEndpoints(valid);
    expect(regionEndpoint(e, "us-east").port).toBe(55431);
    expect(() => regionEndpoint(e, "mars")).toThrow(
      "Unknown region 'mars': the stack has us-east.",
    );
  });
});
