import pg from "pg";
import type { Logger } from "@georep/observability";

/**
 * Active/standby: the active replicator of a region holds a session advisory lock in the
 * region's own PostgreSQL, and a fencing epoch is bumped in the same database on every takeover.
 * The lock dies with its session, so a crashed or partitioned active releases it without a
 * timeout guess (Redis leases can roll back on a Sentinel failover; PostgreSQL cannot).
 * Correctness never depends on it: merges are idempotent and a slot admits one reader, so two
 * actives would only waste work.
 *
 *   standby ──lock granted──▶ active(epoch) ──session lost──▶ lost (the process stops its roles)
 */
export interface Leadership {
  /** Waits until this instance is the active one; returns the fencing epoch. */
  acquire(signal: AbortSignal): Promise<bigint>;
  readonly active: boolean;
  /** Called once if the lock's session dies while active. */
  onLost(listener: (error: Error) => void): void;
  release(): Promise<void>;
}

const LOCK = "SELECT pg_try_advisory_lock(hashtext('georep.replicator'), 0) AS ok";
const BUMP = `INSERT INTO georep.settings (key, value) VALUES ('leader_epoch', '1')
  ON CONFLICT (key) DO UPDATE SET value = (georep.settings.value::bigint + 1)::text RETURNING value`;

export function createLeadership(options: {
  pgUrl: string;
  logger: Logger;
  pollMs?: number;
}): Leadership {
  const client = new pg.Client({
    connectionString: options.pgUrl,
    application_name: "georep-leader",
  });
  const listeners: Array<(error: Error) => void> = [];
  let active = false;
  let connected = false;
  const lost = (error: Error): void => {
    if (!active) return;
    active = false;
    options.logger.error({ err: error }, "lost the active role: the leadership session ended");
    for (const l of listeners) l(error);
  };
  client.on("error", lost);
  client.on("end", () => {
    lost(new Error("leadership session closed"));
  });
  return {
    async acquire(signal) {
      if (!connected) {
        await client.connect();
        connected = true;
      }
      for (;;) {
        signal.throwIfAborted();
        const { rows } = await client.query<{ ok: boolean }>(LOCK);
        if (rows[0]?.ok === true) break;
        await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
      }
      const { rows } = await client.query<{ value: string }>(BUMP);
      active = true;
      const epoch = BigInt(rows[0]?.value ?? "0");
      options.logger.info({ epoch: epoch.toString() }, "active replicator for this region");
      return epoch;
    },
    get active() {
      return active;
    },
    onLost(listener) {
      listeners.push(listener);
    },
    async release() {
      active = false;
      if (connected) {
        connected = false;
        await client.end();
      }
    },
  };
}
