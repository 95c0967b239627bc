import { describe, expect, it } from "vitest";
import { ENGINE_MIGRATION_VERSIONS } from "@georep/schema";
import { ENGINE_MIGRATIONS } from "../src/sql/engine-schema.ts";

// Migrations are applied by version and recorded once each: a version defined twice (two
// branches landing the same number) would run one of them never, and `georep region add`
// compares version lists across regions.
describe("engine migrations", () => {
  it("have unique versions, listed in ascending order", () => {
    const versions = ENGINE_MIGRATIONS.map((m) => m.version);
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(ENGINE_MIGRATION_VERSIONS).toEqual(versions);
  });
});
