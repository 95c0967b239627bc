import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, findRepoRoot, readEndpoints, uniqueName } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("us-east", "rf");
});

afterAll(async () => {
  await db.drop();
});

// The replicator's defaults are production's (3 replicas, 2 in sync); the development stack has
// one broker. Without the check the broker's own INVALID_REPLICATION_FACTOR would surface as a
// retried topic-creation failure and exit 1, naming neither the field nor the fix.
it("refuses the default replication factor on the single-broker stack, naming the field and the fix", async () => {
  const tag = uniqueName("rf").replaceAll("_", "").slice(-8);
  const [self, peer] = [`rf${tag}-a`, `rf${tag}-b`];
  const config = join(mkdtempSync(join(tmpdir(), "georep-rf-")), "config.json");
  writeFileSync(
    config,
    JSON.stringify({
      region: self,
      regions: [{ id: self }, { id: peer }],
      postgres: { url: db.url },
      kafka: { brokers: readEndpoints().kafka.brokers },
      tables: ["counting_results"],
    }),
  );
  // Run directly rather than through replicatorProcess, whose start() waits for "active".
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "apps/replicator/src/main.ts", "--config", config],
    { cwd: findRepoRoot(), stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  expect(code).toBe(2);
  expect(stderr).toContain(
    "georep-replicator: kafka.replicationFactor is 3 but the cluster has 1 broker; for a single-broker development stack set kafka.replicationFactor: 1 and kafka.topic.minInsyncReplicas: 1",
  );
});
