import pg from "pg";
import { loadConfig } from "../config.ts";
import { bytes, fields, table } from "../output/table.ts";
import { pgClientConfig } from "@georep/replicator";

export interface RegionStatus {
  region: string;
  slot: {
    name: string;
    active: boolean;
    walStatus: string;
    confirmedLsn: string;
    retainedBytes: string;
  } | null;
  origins: Array<{
    origin: string;
    lagSeconds: number | null;
    lastCommit: string | null;
    level: "ok" | "warning" | "critical";
  }>;
}

/** `georep status --config <file>`: the region's slot and replication lag from every origin. */
export async function status(configPath: string): Promise<RegionStatus> {
  const config = loadConfig(configPath);
  const client = new pg.Client(pgClientConfig(config.postgres, "admin"));
  await client.connect();
  try {
    const slot = await client.query<{
      active: boolean;
      wal_status: string;
      lsn: string;
      retained: string;
    }>(
      `SELECT active, coalesce(wal_status, '?') AS wal_status, coalesce(confirmed_flush_lsn::text, '?') AS lsn,
              coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint::text AS retained
       FROM pg_replication_slots WHERE slot_name = $1`,
      [config.slot],
    );
    const lag = await client.query<{ origin: string; last: string | null; lag: string | null }>(
      `SELECT r.id AS origin, max(p.source_commit_time)::text AS last,
              extract(epoch FROM clock_timestamp() - max(p.source_commit_time))::float8::text AS lag
       FROM georep.regions r LEFT JOIN georep.progress p ON p.origin = r.id
       WHERE r.id <> $1 AND r.removed_at IS NULL GROUP BY r.id ORDER BY r.id`,
      [config.region],
    );
    const s = slot.rows[0];
    return {
      region: config.region,
      slot:
        s === undefined
          ? null
          : {
              name: config.slot,
              active: s.active,
              walStatus: s.wal_status,
              confirmedLsn: s.lsn,
              retainedBytes: s.retained,
            },
      origins: lag.rows.map((r) => {
        const seconds = r.lag === null ? null : Number(r.lag);
        const level =
          seconds === null || seconds >= config.lagCriticalSeconds
            ? "critical"
            : seconds >= config.lagWarningSeconds
              ? "warning"
              : "ok";
        return { origin: r.origin, lagSeconds: seconds, lastCommit: r.last, level };
      }),
    };
  } finally {
    await client.end();
  }
}

export function renderStatus(status: RegionStatus): string {
  const slot = status.slot;
  const slotLines =
    slot === null
      ? fields([["slot", "none: the replicator has not created it here yet"]])
      : fields([
          ["slot", slot.name],
          ["active", slot.active],
          ["wal status", slot.walStatus],
          ["confirmed lsn", slot.confirmedLsn],
          ["retained wal", bytes(Number(slot.retainedBytes))],
        ]);
  const origins = table(
    ["origin", "lag", "last commit", "level"],
    status.origins.map((o) => [
      o.origin,
      o.lagSeconds === null ? "never heard" : `${o.lagSeconds.toFixed(1)} s`,
      o.lastCommit,
      o.level,
    ]),
  );
  return `${fields([["region", status.region]])}${slotLines}\n${origins}`;
}
