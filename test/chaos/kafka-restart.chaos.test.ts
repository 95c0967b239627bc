// Chaos: the Kafka broker stops while every region writes, and starts again on its storage. While
// it is down no region's slot may confirm what Kafka never acknowledged; once it is back every
// region converges to exact totals.
//
// On the secure stack (chaos-regions.ts, `secure`): its SASL_SSL broker (tools/stack/kafka-secure.ts)
// is the one restarted. Restarting a shared broker disturbs every suite using it at the same time,
// so this file is in the `chaos` project, which vitest runs after the others, one file at a time.
import { afterAll, beforeAll, expect, it } from "vitest";
import { GroundTruth } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { parseLsn } from "@georep/reader";
import { findRepoRoot, scalar, waitFor } from "@georep/testkit";
import { stackConfig } from "../../tools/stack/config.ts";
import { startSecureKafka, stopSecureKafka } from "../../tools/stack/kafka-secure.ts";
import { chaosRegions, writeRound } from "./chaos-regions.ts";
import type { ChaosRegion, ChaosRegions } from "./chaos-regions.ts";
import { regionsExact } from "./exact-regions.ts";

let chaos: ChaosRegions | undefined;
const broker = stackConfig(findRepoRoot(), process.env);

beforeAll(async () => {
  chaos = await chaosRegions({ stack: "secure", prefix: "kr" });
  for (const r of chaos.regions) await r.proc.start();
});

afterAll(async () => chaos?.close());

const slotOf = (r: ChaosRegion): string => `georep_${r.id.replaceAll("-", "_")}`;

const currentLsn = async (r: ChaosRegion): Promise<string> =>
  (await r.pool.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn")).rows[0]?.lsn ??
  "";

/** The newest status reply of the region's reader later than `since`, or false. */
async function replyAfter(r: ChaosRegion, since: string): Promise<string | false> {
  const { rows } = await r.pool.query<{ t: string | null }>(
    `SELECT w.reply_time::text AS t FROM pg_stat_replication w
     JOIN pg_replication_slots s ON s.active_pid = w.pid
     WHERE s.slot_name = $1 AND w.reply_time > $2::timestamptz`,
    [slotOf(r), since],
  );
  return rows[0]?.t ?? false;
}

/** Whether the region's slot has confirmed nothing at or past `lsn`. */
async function slotBehind(r: ChaosRegion, lsn: string): Promise<boolean> {
  const { rows } = await r.pool.query<{ behind: boolean }>(
    "SELECT confirmed_flush_lsn < $2::pg_lsn AS behind FROM pg_replication_slots WHERE slot_name = $1",
    [slotOf(r), lsn],
  );
  return rows[0]?.behind === true;
}

it("a Kafka broker restart loses nothing", async () => {
  const { seed } = propertyConfig();
  if (chaos === undefined) throw new Error("setup failed");
  const { regions } = chaos;
  const truth = new GroundTruth();
  const write = (round: number, operations: number) =>
    writeRound(regions, { seed, round, operations, cameras: 4, truth });
  await write(0, 150);
  let stopped = false;
  try {
    await stopSecureKafka(broker);
    stopped = true;
    // Writes while the broker is down: the shippers retry, no slot may confirm past them.
    await write(1, 150);
    const after = await Promise.all(regions.map(currentLsn));
    for (const [i, r] of regions.entries()) {
      const lsn = Number(parseLsn(after[i] ?? ""));
      await waitFor(
        async () => scalar(await r.proc.scrape(), "georep_reader_received_lsn") >= lsn,
        { description: `${r.id}'s reader to receive the outage writes`, timeoutMs: 30_000 },
      );
      // Two status replies sent after that (the second proves the first reached the slot).
      const now = (await r.pool.query<{ t: string }>("SELECT now()::text AS t")).rows[0]?.t;
      const first = await waitFor(() => replyAfter(r, now ?? "infinity"), {
        description: `a status reply of ${r.id}'s reader after the outage writes`,
        timeoutMs: 30_000,
      });
      await waitFor(() => replyAfter(r, String(first)), {
        description: `a second status reply of ${r.id}'s reader`,
        timeoutMs: 30_000,
      });
      expect(await slotBehind(r, after[i] ?? ""), `${r.id}'s slot confirmed unshipped writes`).toBe(
        true,
      );
    }
  } finally {
    if (stopped) await startSecureKafka(broker);
  }
  await write(2, 100);
  await waitFor(() => regionsExact(regions, truth), {
    description: `regions identical with exact totals after the broker restart (seed ${seed})`,
    timeoutMs: 120_000,
    intervalMs: 500,
  });
});
