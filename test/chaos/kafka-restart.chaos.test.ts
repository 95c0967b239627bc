import { expect, it } from "vitest";
import { parseLsn } from "@georep/reader";
import { findRepoRoot, useCleanups, waitFor } from "@georep/testkit";
import { stackConfig } from "../../tools/stack/config.ts";
import { startKafka, stopKafka, waitKafkaReady } from "../../tools/stack/kafka.ts";
import {
  mismatches,
  ownState,
  readTopic,
  setupRegionDb,
  slotPosition,
  spawnCapture,
  writeCounts,
} from "../capture/helpers.ts";
import type { CaptureChild } from "../capture/helpers.ts";

const defer = useCleanups();

// Restarting the shared broker disturbs every suite running at the same time, so this file is in
// the `chaos` project, which vitest runs after the others, one file at a time.
it("a Kafka broker restart loses nothing", async () => {
  const kafka = stackConfig(findRepoRoot(), process.env).kafka;
  const r = await setupRegionDb("cap_kafka");
  defer(() => r.close());
  let child: CaptureChild | undefined = spawnCapture({
    region: r.region,
    pgUrl: r.db.url,
    slotName: r.slot,
    options: { heartbeatIntervalMs: 500, backoffInitialMs: 100, backoffMaxMs: 1_000 },
  });
  defer(() => child?.kill("SIGTERM") ?? Promise.resolve());
  await waitFor(() => child?.status()?.["state"] === "streaming", {
    description: "capture streaming",
    timeoutMs: 30_000,
  });
  await writeCounts(r.client, 500, 60, 25, 1);
  try {
    await stopKafka(kafka);
    const { rows } = await r.client.query<{ lsn: string }>(
      "SELECT pg_current_wal_lsn()::text AS lsn",
    );
    const beforeOutageWrites = parseLsn(rows[0]?.lsn ?? "");
    // Writes while the broker is down: the shipper retries, durable must not move past them.
    await writeCounts(r.client, 500, 60, 25, 2);
    await waitFor(
      () => {
        const received = child?.status()?.["receivedLsn"];
        return typeof received === "string" && parseLsn(received) > beforeOutageWrites;
      },
      { description: "the reader to receive the writes made during the outage", timeoutMs: 30_000 },
    );
    // What must not happen: the slot confirming changes Kafka never acknowledged. Wait for two
    // status replies from the reader after it received those writes (pg_stat_replication's
    // reply_time; the second proves the first was applied to the slot), then read the slot.
    const after = async (since: string): Promise<string | false> => {
      const { rows: newer } = await r.client.query<{ t: string | null }>(
        `SELECT r.reply_time::text AS t FROM pg_stat_replication r
         JOIN pg_replication_slots s ON s.active_pid = r.pid
         WHERE s.slot_name = $1 AND r.reply_time > $2::timestamptz`,
        [r.slot, since],
      );
      return newer[0]?.t ?? false;
    };
    const received = (await r.client.query<{ t: string }>("SELECT now()::text AS t")).rows[0]?.t;
    const first = await waitFor(() => after(received ?? "infinity"), {
      description: "a status reply sent after the outage writes were received",
      timeoutMs: 30_000,
    });
    await waitFor(() => after(String(first)), {
      description: "a second status reply",
      timeoutMs: 30_000,
    });
    const confirmed = parseLsn((await slotPosition(r.client, r.slot)) ?? "0/0");
    expect(confirmed <= beforeOutageWrites).toBe(true);
  } finally {
    const up = await startKafka(kafka);
    await waitKafkaReady(kafka, up.pid);
  }
  await writeCounts(r.client, 200, 60, 25, 3);
  const topic = await readTopic(r.region);
  defer(() => topic.stop());
  await waitFor(
    async () => mismatches(topic.rows, await ownState(r.client, r.region)).length === 0,
    {
      description: "every own-state row in Kafka after the broker restart",
      timeoutMs: 120_000,
      intervalMs: 250,
    },
  );
  await child.kill("SIGTERM");
  child = undefined;
});
