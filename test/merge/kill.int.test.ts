import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { originTopic } from "@georep/contract";
import {
  createTestTopic,
  findRepoRoot,
  readEndpoints,
  useCleanups,
  waitFor,
} from "@georep/testkit";
import {
  encode,
  itemSlice,
  itemsSpec,
  produce,
  rows,
  setupRegionDb,
  testRegions,
} from "./helpers.ts";

// SPEC.md invariant 6: kill -9 of the merger mid-batch, restart, nothing lost, nothing counted twice.
const defer = useCleanups();

/** Resolves when the child has exited, also when it already had (a listener added then would never fire). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
}

function spawnMerger(config: unknown): { child: ChildProcess; started: Promise<void> } {
  const root = findRepoRoot();
  // node itself with tsx as a loader (not the tsx wrapper binary): SIGKILL must hit the merger, not a parent.
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(root, "test/merge/fixtures/merger-process.ts"),
      JSON.stringify(config),
    ],
    { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
  );
  const started = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      if (d.toString().includes("started")) resolve();
    });
    child.on("exit", (code) => {
      reject(new Error(`merger child exited with ${code}`));
    });
  });
  started.catch(() => undefined);
  return { child, started };
}

it("kill -9 mid-batch and restart: exact counts, progress resumes from the database", async () => {
  const [origin, target] = testRegions(2) as [string, string];
  const table = "kitems";
  const spec = itemsSpec(table);
  const db = await setupRegionDb("eu-west", "merge_kill", target, [origin, target], [spec]);
  defer(() => db.close());
  const topic = await createTestTopic(originTopic(origin), 3);
  defer(() => topic.delete());
  // 40 keys; each envelope carries the origin's cumulative state for 10 keys: the final state is exact.
  const keys = 40;
  const rounds = 900;
  const count = new Map<number, bigint>();
  const values: Array<{ key: string; value: Buffer }> = [];
  for (let r = 0; r < rounds; r++) {
    const slices = Array.from({ length: 10 }, (_v, i) => {
      const id = (r * 10 + i) % keys;
      const hits = (count.get(id) ?? 0n) + BigInt(1 + ((r + i) % 3));
      count.set(id, hits);
      return itemSlice(table, id, hits, BigInt(r + 1) << 16n);
    });
    values.push({ key: `k${r}`, value: encode(rows(origin, slices)) });
  }
  await produce(topic.name, values, 3, 6); // small record batches: a kill lands mid-stream
  const config = {
    region: target,
    pgUrl: db.db.url,
    brokers: readEndpoints().kafka.brokers,
    regions: [{ id: origin }, { id: target }],
    tables: [spec],
    // Small fetches so the work spans many batches and the kill lands mid-stream.
    options: {
      maxBytesPerPartition: 8 * 1024,
      maxMessageBytes: 8 * 1024,
      topicPartitions: 3,
      sessionTimeoutMs: 6_000,
    },
  };
  const applied = async (): Promise<number> =>
    Number(
      (
        await db.client.query<{ n: string }>(
          "SELECT coalesce(sum(kafka_offset + 1), 0) AS n FROM georep.progress",
        )
      ).rows[0]?.n ?? 0,
    );
  for (let kill = 0; kill < 2; kill++) {
    const m = spawnMerger(config);
    defer(() => {
      m.child.kill("SIGKILL");
      return Promise.resolve();
    });
    await m.started;
    const threshold = (kill + 1) * 150;
    await waitFor(async () => (await applied()) >= threshold, {
      description: `merger ${kill} to apply ${threshold} messages`,
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    const gone = exited(m.child);
    m.child.kill("SIGKILL");
    await gone;
  }
  expect(await applied()).toBeLessThan(rounds);
  const last = spawnMerger(config);
  defer(() => {
    last.child.kill("SIGKILL");
    return Promise.resolve();
  });
  await last.started;
  await waitFor(async () => (await applied()) === rounds, {
    description: "every message applied after restart",
    timeoutMs: 60_000,
    intervalMs: 100,
  });
  const { rows: got } = await db.client.query<{ id: string; hits: string }>(
    `SELECT id::text, hits::text FROM ${table} ORDER BY id`,
  );
  expect(got.length).toBe(keys);
  for (const row of got)
    expect(row.hits, `hits of ${row.id}`).toBe(String(count.get(Number(row.id))));
  const gone = exited(last.child);
  last.child.kill("SIGTERM");
  await gone;
});
