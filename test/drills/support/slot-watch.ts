import type pg from "pg";
import { waitFor } from "@georep/testkit";

/** Reads a slot's confirmed_flush_lsn, and waits for it to move. */
export interface SlotWatch {
  confirmed(): Promise<string>;
  /**
   * Polls every 2 ms until the confirmed position has moved `times` times; returns the last
   * position seen, the moment it is seen (so a kill can follow at once).
   */
  moves(times: number, timeoutMs?: number): Promise<string>;
}

export function watchSlot(pool: pg.Pool, slot: string): SlotWatch {
  const confirmed = async (): Promise<string> =>
    (
      await pool.query<{ lsn: string | null }>(
        "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1",
        [slot],
      )
    ).rows[0]?.lsn ?? "none";
  return {
    confirmed,
    async moves(times, timeoutMs = 60_000) {
      let last = await confirmed();
      let moved = 0;
      await waitFor(
        async () => {
          const now = await confirmed();
          if (now !== last) {
            moved += 1;
            last = now;
          }
          return moved >= times;
        },
        { description: `slot ${slot} to confirm ${times} more time(s)`, timeoutMs, intervalMs: 2 },
      );
      return last;
    },
  };
}
