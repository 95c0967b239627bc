import type { Queryable } from "./queryable.ts";
import { ReaderError } from "../errors.ts";
import type { Lsn } from "./lsn.ts";
import { parseLsn } from "./lsn.ts";

export type SlotState =
  | { readonly kind: "missing" }
  | { readonly kind: "lost" }
  | { readonly kind: "ok"; readonly confirmedFlush: Lsn; readonly activePid: number | null };

/**
 * Reads the slot's state. `lost` is wal_status = 'lost' (max_slot_wal_keep_size exceeded), or a
 * logical slot without restart_lsn / confirmed position (invalidated).
 * @throws ReaderError when the slot exists on another database or is not a pgoutput slot.
 */
export async function inspectSlot(client: Queryable, slot: string): Promise<SlotState> {
  const { rows } = await client.query<{
    plugin: string;
    database: string;
    wal_status: string | null;
    restart_lsn: string | null;
    confirmed_flush_lsn: string | null;
    active_pid: number | null;
    here: string;
  }>(
    `SELECT plugin, database, wal_status, restart_lsn::text, confirmed_flush_lsn::text, active_pid, current_database() AS here
       FROM pg_replication_slots WHERE slot_name = $1 AND slot_type = 'logical'`,
    [slot],
  );
  const row = rows[0];
  if (row === undefined) return { kind: "missing" };
  if (row.database !== row.here) {
    throw new ReaderError(
      `replication slot belongs to database '${row.database}', not '${row.here}': choose another slotName`,
      { slot },
    );
  }
  if (row.plugin !== "pgoutput") {
    throw new ReaderError(
      `replication slot uses plugin '${row.plugin}', georep needs pgoutput: drop it or choose another slotName`,
      { slot },
    );
  }
  if (row.wal_status === "lost" || row.restart_lsn === null || row.confirmed_flush_lsn === null)
    return { kind: "lost" };
  return {
    kind: "ok",
    confirmedFlush: parseLsn(row.confirmed_flush_lsn),
    activePid: row.active_pid,
  };
}

/**
 * Creates the slot and returns its consistent point: changes committed after it stream from
 * the slot, everything before is visible to any query started after this returns.
 * @throws ReaderError (with SQLSTATE) when PostgreSQL refuses, e.g. max_replication_slots reached.
 */
export async function createSlot(client: Queryable, slot: string): Promise<Lsn> {
  try {
    const { rows } = await client.query<{ lsn: string }>(
      "SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')",
      [slot],
    );
    const lsn = rows[0]?.lsn;
    if (lsn === undefined) throw new Error("pg_create_logical_replication_slot returned no row");
    return parseLsn(lsn);
  } catch (cause) {
    throw new ReaderError("could not create the replication slot", { slot }, { cause });
  }
}

/**
 * Drops the slot, first ending a walsender still holding it (only after invalidation, where
 * the slot is useless anyway).
 * @throws ReaderError when the slot cannot be dropped.
 */
export async function dropSlot(client: Queryable, slot: string): Promise<void> {
  try {
    await client.query(
      "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL",
      [slot],
    );
    await client.query(
      "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
      [slot],
    );
  } catch (cause) {
    throw new ReaderError("could not drop the invalidated replication slot", { slot }, { cause });
  }
}
