import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKafka, createTestDatabase, readEndpoints } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { georep } from "@georep/testkit";

describe("georep schema apply", () => {
  let db: TestDatabase;
  let config: string;

  beforeAll(async () => {
    db = await createTestDatabase("eu-west", "cli");
    config = join(mkdtempSync(join(tmpdir(), "georep-cli-")), "eu-west.json");
    writeFileSync(
      config,
      JSON.stringify({
        region: "eu-west",
        regions: readEndpoints().regions.map((r) => ({ id: r.id })),
        postgres: { url: db.url },
        kafka: devKafka(),
        tables: ["counting_results"],
      }),
    );
  });
  afterAll(async () => db.drop());

  it("installs, then reports nothing to change on a second run", async () => {
    const first = await georep("schema", "apply", "--config", config, "--json");
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      changed: true,
      tablesInstalled: ["public.counting_results"],
    });
    const second = await georep("schema", "apply", "--config", config, "--json");
    expect(JSON.parse(second.stdout)).toMatchObject({ changed: false });
    const human = await georep("schema", "apply", "--config", config);
    expect(human.stdout).toMatch(/^changed +no$/m);
    expect(human.stdout).toMatch(/^tables installed +none$/m);
  });

  it("fails with the field and the fix on a bad config", async () => {
    const bad = join(mkdtempSync(join(tmpdir(), "georep-cli-")), "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({
        region: "eu-west",
        regions: [{ id: "eu-west" }],
        postgres: { url: db.url },
        kafka: { brokers: ["x:1"] },
        tables: ["counting_results"],
      }),
    );
    const result = await georep("schema", "apply", "--config", bad);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("regions must list at least two regions");
  });
});
