import pg from "pg";
import { expect, it } from "vitest";
import type { Capture } from "@georep/capture";
import { readEndpoints, regionEndpoint, useCleanups, waitFor } from "@georep/testkit";
import type { RegionDb } from "./helpers.ts";
import {
  mismatches,
  ownState,
  readTopic,
  setupRegionDb,
  testCapture,
  writeCounts,
} from "./helpers.ts";

// This lowers max_slot_wal_keep_size for the WHOLE ap-south cluster and forces WAL switches and
// checkpoints: every other slot on that cluster (other test files' slots, replicators' slots)
// would be invalidated with it, and ground/postgres.int.test.ts would see the lowered setting.
// So it runs in the `chaos` project, after the integration files and one file at a time.
const defer = useCleanups();

function capture(r: RegionDb): Capture {
  const c = testCapture(r);
  defer(() => c.stop());
  return c;
}

it("a slot invalidated by max_slot_wal_keep_size is detected, recreated and resynced", async () => {
  const r = await setupRegionDb("cap_lost", "ap-south");
  defer(() => r.close());
  const topic = await readTopic(r.region);
  defer(() => topic.stop());
  const first = capture(r);
  await first.start();
  await writeCounts(r.client, 300, 50, 30, 1);
  await waitFor(
    async () => mismatches(topic.rows, await ownState(r.client, r.region)).length === 0,
    { description: "first writes shipped", timeoutMs: 60_000, intervalMs: 200 },
  );
  await first.stop();
  const admin = new pg.Client({
    connectionString: regionEndpoint(readEndpoints(), "ap-south").pgUrl,
  });
  await admin.connect();
  // A cleanup, not a finally: it also runs when the test times out, so the cluster never keeps
  // the lowered setting.
  defer(async () => {
    try {
      await admin.query("ALTER SYSTEM RESET max_slot_wal_keep_size");
      await admin.query("SELECT pg_reload_conf()");
    } finally {
      await admin.end();
    }
  });
  await admin.query("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
  await admin.query("SELECT pg_reload_conf()");
  // Writes while the reader is down, then WAL moves on until the slot is lost.
  await writeCounts(r.client, 600, 80, 30, 2);
  await waitFor(
    async () => {
      await r.client.query(
        "INSERT INTO public.counting_results (camera_id, bucket, people_in) VALUES ('filler', now(), 1) ON CONFLICT (camera_id, bucket) DO UPDATE SET people_in = counting_results.people_in + 1",
      );
      await admin.query("SELECT pg_switch_wal()");
      await admin.query("CHECKPOINT");
      const { rows } = await admin.query<{ s: string | null }>(
        "SELECT wal_status AS s FROM pg_replication_slots WHERE slot_name = $1",
        [r.slot],
      );
      return rows[0]?.s === "lost";
    },
    {
      description: "the stopped slot to be invalidated (wal_status = lost)",
      timeoutMs: 60_000,
      intervalMs: 10,
    },
  );
  await admin.query("ALTER SYSTEM RESET max_slot_wal_keep_size");
  await admin.query("SELECT pg_reload_conf()");
  const second = capture(r);
  await second.start();
  await writeCounts(r.client, 200, 80, 20, 3);
  await waitFor(
    async () => mismatches(topic.rows, await ownState(r.client, r.region)).length === 0,
    { description: "everything shipped after the resync", timeoutMs: 90_000, intervalMs: 200 },
  );
  expect(second.status().resyncs).toBe(1);
});
