import pg from "pg";
import { describe, expect, it } from "vitest";
import type { Capture } from "@georep/capture";
import { countingResultsSpec, installSchema, parseInstallConfig, sqlStateOf } from "@georep/schema";
import { createTestDatabase, dropReplicationSlot, useCleanups, waitFor } from "@georep/testkit";
import type { Folded, RegionDb, TopicReader } from "./helpers.ts";
import {
  mismatches,
  ownState,
  readTopic,
  setupRegionDb,
  testCapture,
  writeCounts,
} from "./helpers.ts";

// SPEC.md invariant 10, capture side: a database that is no longer the history its incarnation
// started on refuses local writes until the reader starts a new incarnation; then writes count
// under a fresh replica id, and every replica's state is shipped under its own id.
const defer = useCleanups();

function startCapture(r: RegionDb): Capture {
  const capture = testCapture(r, { heartbeatIntervalMs: 500 });
  defer(() => capture.stop());
  return capture;
}

async function shipped(r: RegionDb, topic: TopicReader, replica: string): Promise<void> {
  await waitFor(
    async () =>
      mismatches(
        topic.replicas.get(replica) ?? new Map<string, Folded>(),
        await ownState(r.client, replica),
      ).length === 0,
    { description: `every row of replica ${replica} in Kafka`, timeoutMs: 60_000, intervalMs: 200 },
  );
}

async function replicas(r: RegionDb): Promise<string[]> {
  const { rows } = await r.client.query<{ replica: string }>(
    "SELECT replica FROM georep.incarnations ORDER BY incarnation",
  );
  return rows.map((x) => x.replica);
}

/** A region whose capture attached, shipped `writes` increments, and stopped. */
async function attachedRegion(
  prefix: string,
  writes: number,
  seed: number,
): Promise<{ r: RegionDb; topic: TopicReader }> {
  const r = await setupRegionDb(prefix);
  defer(() => r.close());
  await writeCounts(r.client, writes, writes / 10, 10, seed);
  const capture = startCapture(r);
  await capture.start();
  const topic = await readTopic(r.region);
  defer(() => topic.stop());
  await shipped(r, topic, r.region);
  await capture.stop();
  return { r, topic };
}

describe("incarnations on the capture side", () => {
  it("refuses writes on a database that changed identity until the reader starts a new incarnation", async () => {
    const { r, topic } = await attachedRegion("cap_inc", 200, 1);

    // What a restored dump looks like from inside: the recorded identity is not this database's.
    await r.client.query("UPDATE georep.incarnations SET database_oid = 1");
    const writer = new pg.Client({ connectionString: r.db.url });
    await writer.connect();
    defer(() => writer.end());
    const refused = await writer
      .query(
        "INSERT INTO counting_results (camera_id, bucket, people_in) VALUES ('late', now(), 1)",
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(sqlStateOf(refused)).toBe("55000");
    expect((refused as Error | undefined)?.message).toMatch(
      /^georep: this database is not the one replica/,
    );

    const capture = startCapture(r);
    await capture.start();
    await waitFor(async () => (await replicas(r)).length === 2, {
      description: "a second incarnation",
      timeoutMs: 30_000,
    });
    const [first, second] = await replicas(r);
    expect(first).toBe(r.region);
    expect(second).toMatch(new RegExp(`^${r.region}\\.\\d+$`));
    await waitFor(() => capture.status().replica === second, {
      description: "the capture streaming under the new replica",
      timeoutMs: 30_000,
    });
    // The same session is accepted now: the trigger checks the new replica's identity.
    await writer.query(
      "INSERT INTO counting_results (camera_id, bucket, people_in) VALUES ('late', now(), 1)",
    );
    await writeCounts(r.client, 200, 20, 20, 2);
    await shipped(r, topic, second ?? "");
    await shipped(r, topic, r.region);
    const own = await r.client.query<{ origin: string; n: string }>(
      `SELECT origin, sum(people_in__p)::text AS n FROM georep."state__public__counting_results" GROUP BY 1 ORDER BY 1`,
    );
    expect(own.rows).toEqual([
      { origin: r.region, n: "200" },
      { origin: second, n: "201" },
    ]);
  });

  it("starts a new incarnation when the slot of an attached incarnation is missing, and re-ships every replica", async () => {
    const { r, topic } = await attachedRegion("cap_inc_slot", 100, 3);
    await dropReplicationSlot(r.client, r.slot);
    const before = topic.slices.count;

    const capture = startCapture(r);
    await capture.start();
    await waitFor(async () => (await replicas(r)).length === 2, {
      description: "a second incarnation after the slot was lost",
      timeoutMs: 30_000,
    });
    const reason = await r.client.query<{ reason: string }>(
      "SELECT reason FROM georep.incarnations ORDER BY incarnation DESC LIMIT 1",
    );
    expect(reason.rows[0]?.reason).toMatch(/slot missing/);
    // The first incarnation's rows are shipped again (the lost slot may have held unshipped changes).
    await waitFor(() => topic.slices.count >= before + 10, {
      description: "the earlier replica's rows re-emitted",
      timeoutMs: 30_000,
    });
    await shipped(r, topic, r.region);
  });

  it("starts a new incarnation on a database rebuilt from scratch whose region's topic already holds its replica", async () => {
    const { r } = await attachedRegion("cap_inc_rebuilt", 50, 4);

    // The region's database is lost; an empty one is installed under the same region id.
    const db = await createTestDatabase("us-east", "cap_inc_rebuilt");
    defer(() => db.drop());
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    defer(() => client.end());
    await installSchema(
      client,
      parseInstallConfig({
        region: r.region,
        regions: [{ id: r.region }, { id: r.other }],
        tables: [countingResultsSpec],
      }),
    );
    const rebuilt: RegionDb = { ...r, db, client, slot: `${r.slot}_b` };
    const capture = startCapture(rebuilt);
    await capture.start();
    await waitFor(async () => (await replicas(rebuilt)).length === 2, {
      description: "a new incarnation on the rebuilt database",
      timeoutMs: 30_000,
    });
    const reason = await client.query<{ reason: string }>(
      "SELECT reason FROM georep.incarnations ORDER BY incarnation DESC LIMIT 1",
    );
    expect(reason.rows[0]?.reason).toMatch(/already shipped from another database/);
    await waitFor(() => capture.status().state === "streaming", {
      description: "the rebuilt region's capture streaming under its new incarnation",
      timeoutMs: 60_000,
    });
    expect(capture.status().replica).toMatch(new RegExp(`^${r.region}\\.\\d+$`));
  });
});
