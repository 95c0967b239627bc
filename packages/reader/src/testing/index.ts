// Test helpers of @georep/reader (the "./testing" entry); the reader itself does not use them.
import pg from "pg";
import type { Lsn } from "../postgres/lsn.ts";
import { ZERO_LSN, formatLsn, parseLsn } from "../postgres/lsn.ts";
import { startSession } from "../postgres/session.ts";
import type { Queryable } from "../postgres/queryable.ts";
import { tableCodec } from "../postgres/tuple.ts";
import { readOwnState } from "../prepare/own-state.ts";
import { tupleToSlice } from "../slice/slice.ts";
import type { RowSlice } from "@georep/contract";
import type { StateLayout } from "@georep/schema";

/**
 * Opens a replication session on `slot` the way the reader does (session.ts, its status
 * updates included) and reports `durable` as the durable position: what a capture that had
 * Kafka's acknowledgement for exactly that much WAL would send before dying. What the stream
 * delivers meanwhile is ignored. Resolves with the slot's confirmed_flush_lsn once it reached
 * `durable` and the session released the slot.
 * @throws when the session ends on its own, or nothing is confirmed within `timeoutMs`.
 */
export async function acknowledgeThrough(
  pgUrl: string,
  slot: string,
  durable: Lsn,
  timeoutMs = 30_000,
): Promise<Lsn> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  const slotState = async (): Promise<{ confirmed: Lsn; active: boolean }> => {
    const { rows } = await client.query<{ lsn: string | null; active: boolean }>(
      "SELECT confirmed_flush_lsn::text AS lsn, active FROM pg_replication_slots WHERE slot_name = $1",
      [slot],
    );
    const row = rows[0];
    if (row === undefined) throw new Error(`replication slot ${slot} does not exist`);
    return { confirmed: row.lsn === null ? ZERO_LSN : parseLsn(row.lsn), active: row.active };
  };
  let failure: Error | undefined;
  // The session's own timer sends the status updates (every 50 ms); a status update that
  // arrives before the stream started is ignored by PostgreSQL, the next one counts.
  const session = startSession({ connectionString: pgUrl }, slot, ZERO_LSN, 50, () => undefined, {
    onMessage: () => undefined,
    onKeepalive: () => undefined,
    ackPosition: () => durable,
    onEnd: (error) => {
      failure =
        error instanceof Error ? error : new Error("replication session ended", { cause: error });
    },
  });
  const deadline = Date.now() + timeoutMs;
  const wait = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));
  try {
    for (;;) {
      if (failure !== undefined) throw failure;
      const { confirmed } = await slotState();
      if (confirmed >= durable) break;
      if (Date.now() > deadline)
        throw new Error(
          `slot ${slot} still confirmed at ${formatLsn(confirmed)} after ${timeoutMs} ms, not ${formatLsn(durable)}`,
        );
      await wait();
    }
    await session.stop();
    for (;;) {
      const { confirmed, active } = await slotState();
      if (!active) return confirmed;
      if (Date.now() > deadline) throw new Error(`slot ${slot} still active after ${timeoutMs} ms`);
      await wait();
    }
  } finally {
    await session.stop();
    await client.end().catch(() => undefined);
  }
}

/**
 * The slices the own-state emit after a lost slot ships for one replica of one table: the
 * reader's own read (prepare/own-state.ts), one page at a time.
 */
export async function ownStateSlices(
  client: Queryable,
  layout: StateLayout,
  replica: string,
  batchSize = 100,
): Promise<RowSlice[]> {
  const codec = tableCodec(layout);
  const slices: RowSlice[] = [];
  for await (const tuples of readOwnState(client, codec, replica, batchSize))
    slices.push(...tuples.map((t) => tupleToSlice(codec, t)));
  return slices;
}
