// The slot gauges the capture's process exports, read from a real slot on a real cluster.
import pg from "pg";
import { expect, it } from "vitest";
import { CaptureConfigError, startSlotMetrics } from "@georep/capture";
import { createMetrics, silentLogger } from "@georep/observability";
import { createTestDatabase, dropReplicationSlot, uniqueName, useCleanups } from "@georep/testkit";

const defer = useCleanups();

const gauge = (text: string, series: string): number =>
  Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);

it("exports retained WAL, wal_status, activity and max_slot_wal_keep_size of the slot", async () => {
  const db = await createTestDatabase("us-east", "ops_slot");
  defer(() => db.drop());
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  defer(() => client.end());
  const slot = uniqueName("ops_slot");
  await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
  defer(() => dropReplicationSlot(client, slot));
  // WAL written after the slot's restart point, which the slot now keeps.
  await client.query(
    "CREATE TABLE filler AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 2000) g",
  );
  const { rows } = await client.query<{ keep: string }>(
    "SELECT pg_size_bytes(current_setting('max_slot_wal_keep_size'))::text AS keep",
  );
  const metrics = createMetrics();
  const slots = startSlotMetrics({
    pgUrl: db.url,
    slotName: slot,
    metrics,
    logger: silentLogger(),
  });
  defer(() => slots.stop());
  await slots.refresh();
  let text = await metrics.render();
  expect(gauge(text, `georep_slot_retained_wal_bytes{slot="${slot}"}`)).toBeGreaterThan(100_000);
  expect(gauge(text, `georep_slot_wal_status{slot="${slot}",status="reserved"}`)).toBe(1);
  expect(gauge(text, `georep_slot_wal_status{slot="${slot}",status="lost"}`)).toBe(0);
  expect(gauge(text, `georep_slot_active{slot="${slot}"}`)).toBe(0);
  expect(gauge(text, `georep_slot_max_wal_keep_bytes{slot="${slot}"}`)).toBe(Number(rows[0]?.keep));

  // Gone (dropped, or not created yet): no status is 1, and nothing is retained.
  await dropReplicationSlot(client, slot);
  await slots.refresh();
  text = await metrics.render();
  for (const status of ["reserved", "extended", "unreserved", "lost"])
    expect(gauge(text, `georep_slot_wal_status{slot="${slot}",status="${status}"}`)).toBe(0);
  expect(gauge(text, `georep_slot_retained_wal_bytes{slot="${slot}"}`)).toBe(0);
});

it("refuses an invalid slot name or interval, naming the field", () => {
  const start = (o: { slotName: string; intervalMs?: number }) =>
    startSlotMetrics({
      pgUrl: "postgres://nobody@127.0.0.1:1/none",
      ...o,
      metrics: createMetrics(),
      logger: silentLogger(),
    });
  expect(() => start({ slotName: "Bad-Name" })).toThrow(CaptureConfigError);
  expect(() => start({ slotName: "ok", intervalMs: 10 })).toThrow(/intervalMs/);
});
