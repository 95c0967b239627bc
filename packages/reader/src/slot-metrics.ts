// The region's replication slot as Prometheus gauges: how much WAL it keeps PostgreSQL from
// recycling, its wal_status, and the limit (max_slot_wal_keep_size) past which PostgreSQL
// invalidates it. A hook the replicator starts beside the capture: read from
// pg_replication_slots on a connection of its own, so it reports a stuck or absent reader too.
//
//   created ──(immediately, then every intervalMs)──▶ refresh ──▶ … ──stop()──▶ stopped
import { startPeriodic } from "@georep/retry";
import pg from "pg";
import { pgConnection } from "@georep/schema";
import type { Logger, Metrics } from "@georep/observability";
import { ReaderError } from "./errors.ts";

/** pg_replication_slots.wal_status values (PostgreSQL 13 and later). */
export const WAL_STATUSES = ["reserved", "extended", "unreserved", "lost"] as const;

/** What one read of the slot found; `slot` is undefined when the slot does not exist. */
export interface SlotReading {
  readonly slot:
    | {
        readonly active: boolean;
        readonly walStatus: string | null;
        readonly retainedBytes: number;
      }
    | undefined;
  /** max_slot_wal_keep_size in bytes; -1 when unlimited. */
  readonly maxKeepBytes: number;
}

// pg_size_bytes turns the setting's text ('-1', '1GB', '1024MB') into bytes, -1 kept.
const SLOT_SQL = `SELECT s.slot_name IS NOT NULL AS found, coalesce(s.active, false) AS active, s.wal_status,
  coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn), 0)::float8 AS retained,
  pg_size_bytes(current_setting('max_slot_wal_keep_size'))::float8 AS max_keep
FROM (SELECT 1) AS one LEFT JOIN pg_replication_slots s ON s.slot_name = $1`;

/** Reads the slot `name`. @throws pg's error when the query fails. */
export async function readSlot(pool: pg.Pool, name: string): Promise<SlotReading> {
  const { rows } = await pool.query<{
    found: boolean;
    active: boolean;
    wal_status: string | null;
    retained: number;
    max_keep: number;
  }>(SLOT_SQL, [name]);
  const row = rows[0];
  if (row === undefined)
    throw new ReaderError(`slot ${name}: the slot query returned no row`, { slot: name });
  return {
    slot: row.found
      ? { active: row.active, walStatus: row.wal_status, retainedBytes: row.retained }
      : undefined,
    maxKeepBytes: row.max_keep,
  };
}

/** Validated by the caller (@georep/capture's startSlotMetrics). */
export interface SlotMetricsOptions {
  readonly slotName: string;
  readonly pgUrl: string;
  readonly pgPassword?: string | undefined;
  readonly intervalMs: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export interface SlotMetrics {
  /** Reads the slot once now and sets the gauges. @throws pg's error when the read fails. */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Sets the slot gauges now and every intervalMs; a failed read is logged and the gauges keep
 * their last values (a database that stops answering shows in the lag of the other regions).
 */
export function startSlotMetrics(config: SlotMetricsOptions): SlotMetrics {
  const { metrics, logger, ...o } = config;
  const log = logger.child({ component: "slot-metrics", slot: o.slotName });
  const labels = { slot: o.slotName };
  const retained = metrics.gauge(
    "georep_slot_retained_wal_bytes",
    "WAL the replication slot keeps from being recycled: current WAL position minus its restart_lsn.",
    ["slot"],
  );
  const status = metrics.gauge(
    "georep_slot_wal_status",
    "1 for the slot's pg_replication_slots.wal_status, 0 for the others; all 0 when the slot does not exist.",
    ["slot", "status"],
  );
  const active = metrics.gauge(
    "georep_slot_active",
    "1 while a walsender streams from the slot (the capture is attached).",
    ["slot"],
  );
  const maxKeep = metrics.gauge(
    "georep_slot_max_wal_keep_bytes",
    "PostgreSQL's max_slot_wal_keep_size in bytes (-1: unlimited); past it the slot is invalidated.",
    ["slot"],
  );
  const pool = new pg.Pool({
    ...pgConnection(o.pgUrl, o.pgPassword),
    max: 1,
    application_name: "georep-slot-metrics",
  });
  pool.on("error", (error) => {
    log.warn({ err: error }, "idle PostgreSQL connection failed");
  });
  const refresh = async (): Promise<void> => {
    const reading = await readSlot(pool, o.slotName);
    maxKeep.set(labels, reading.maxKeepBytes);
    retained.set(labels, reading.slot?.retainedBytes ?? 0);
    active.set(labels, reading.slot?.active === true ? 1 : 0);
    for (const s of WAL_STATUSES)
      status.set({ ...labels, status: s }, reading.slot?.walStatus === s ? 1 : 0);
  };
  const periodic = startPeriodic(refresh, {
    intervalMs: o.intervalMs,
    onError: (error) => {
      log.warn({ err: error }, "reading the replication slot failed; trying again");
    },
  });
  return {
    refresh,
    async stop() {
      await periodic.stop();
      await pool.end();
    },
  };
}
