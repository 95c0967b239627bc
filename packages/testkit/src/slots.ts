import type pg from "pg";
import { waitFor } from "./wait-for.ts";

/**
 * Drops a replication slot once no walsender holds it. A stopped reader's walsender exits a
 * moment after the client closes, so dropping at once fails with "slot is active for PID".
 */
export async function dropReplicationSlot(
  client: pg.Client,
  slot: string,
  timeoutMs = 20_000,
): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await client.query<{ active: boolean }>(
        "SELECT active FROM pg_replication_slots WHERE slot_name = $1",
        [slot],
      );
      return rows[0]?.active !== true;
    },
    { description: `slot ${slot} to be released by its walsender`, timeoutMs },
  );
  await client.query(
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
    [slot],
  );
}
