import type { Queryable } from "../postgres/queryable.ts";

/**
 * A durable note that this slot's own-state emit has not been fully acknowledged by Kafka yet
 * (table georep.resync). Set before the slot is created, cleared once every emitted row is
 * acknowledged: a crash in between leaves it, and the next start emits again.
 */

export async function resyncPending(pool: Queryable, slot: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ reason: string }>(
    "SELECT reason FROM georep.resync WHERE slot = $1",
    [slot],
  );
  return rows[0]?.reason;
}

export async function markResync(
  pool: Queryable,
  slot: string,
  /** Why: "initial", "invalidated", or the reason a new incarnation started. */
  reason: string,
): Promise<void> {
  await pool.query(
    "INSERT INTO georep.resync (slot, reason) VALUES ($1, $2) ON CONFLICT (slot) DO NOTHING",
    [slot, reason],
  );
}

export async function clearResync(pool: Queryable, slot: string): Promise<void> {
  await pool.query("DELETE FROM georep.resync WHERE slot = $1", [slot]);
}
