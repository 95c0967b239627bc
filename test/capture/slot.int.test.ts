import pg from "pg";
import { expect, it } from "vitest";
import { parseLsn } from "@georep/reader";
import type { Capture } from "@georep/capture";
import { createTestDatabase, useCleanups, waitFor } from "@georep/testkit";
import type { RegionDb } from "./helpers.ts";
import { setupRegionDb, slotPosition, testCapture } from "./helpers.ts";

const defer = useCleanups();

function capture(r: RegionDb): Capture {
  const c = testCapture(r);
  defer(() => c.stop());
  return c;
}

it("an idle database's slot keeps advancing while other databases write", async () => {
  const r = await setupRegionDb("cap_idle");
  defer(() => r.close());
  const busy = await createTestDatabase("us-east", "cap_busy");
  defer(() => busy.drop());
  const c = capture(r);
  await c.start();
  const other = new pg.Client({ connectionString: busy.url });
  await other.connect();
  defer(() => other.end());
  await other.query(
    "CREATE TABLE noise (id serial PRIMARY KEY, v text); INSERT INTO noise (v) SELECT repeat('x', 200) FROM generate_series(1, 5000)",
  );
  const { rows } = await other.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
  const target = parseLsn(rows[0]?.lsn ?? "0/0");
  await waitFor(async () => parseLsn((await slotPosition(r.client, r.slot)) ?? "0/0") >= target, {
    description: "the idle slot's confirmed_flush_lsn to pass WAL written by another database",
    // Slot creation, heartbeat, Kafka round trip and status update: seconds on a loaded machine.
    timeoutMs: 60_000,
    intervalMs: 100,
  });
  expect(c.status().lastHeartbeatAt).toBeDefined();
});

// The invalidation test (max_slot_wal_keep_size lowered for a whole cluster) is in
// slot-invalidation.chaos.test.ts: it would invalidate the slots of files running alongside.
