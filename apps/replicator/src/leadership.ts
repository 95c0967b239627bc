import { hostname } from "node:os";
import pg from "pg";
import type { Logger } from "@georep/observability";
import {
  CLAIM_SQL,
  CONFIRM_SQL,
  HAND_OVER_SQL,
  LEADER_APPLICATION,
  RENEW_SQL,
  TAKEABLE_SQL,
  TERMINATE_SLOT_READER_SQL,
} from "./leader-sql.ts";

/**
 * Active/standby by a lease in the region's own PostgreSQL (georep.leader, one row): the active
 * renews it every leaseMs / 3; a standby takes over, bumping the fencing epoch, once the lease
 * expired (a hung or paused active: SIGSTOP, a wedged event loop) or at once when the holder's
 * session is gone (a crashed active). The database's clock decides expiry, so replicators'
 * clocks never matter. The epoch fences what a deposed active could still do when it wakes up:
 * merge transactions check it under a row lock (see the merger's epoch check), and the slot is
 * confirmed only after confirm() has seen it unchanged.
 *
 *   standby ──lease taken──▶ active(epoch) ──renewal refused, late or failed──▶ lost (the process stops)
 */
export interface Leadership {
  /** Waits until this instance is the active one; returns the fencing epoch. */
  acquire(signal: AbortSignal): Promise<bigint>;
  readonly active: boolean;
  /** @throws LeadershipLostError (and reports the loss) when another replicator took over. */
  confirm(): Promise<void>;
  /** Called once when the active role is lost. */
  onLost(listener: (error: Error) => void): void;
  /** Hands the lease over at once (a standby need not wait for it to expire) and disconnects. */
  release(): Promise<void>;
}

export class LeadershipLostError extends Error {
  override readonly name = "LeadershipLostError";
}

export interface LeadershipOptions {
  readonly pgUrl: string;
  readonly logger: Logger;
  /** The region's slot: a takeover ends the deposed active's walsender, which would hold it. */
  readonly slot: string;
  readonly leaseMs: number;
  /** How often a standby looks at the lease (default 1 s). */
  readonly pollMs?: number;
  /** A monotonic clock in ms (default performance.now): a paused process notices the gap. */
  readonly now?: () => number;
  /** Called with the new state on every change (metrics). */
  readonly onChange?: (state: { active: boolean; epoch: bigint | undefined }) => void;
}

/** How long a takeover waits for the deposed active's merge in flight before the next poll. */
const CLAIM_LOCK_TIMEOUT_MS = 5_000;

export function createLeadership(options: LeadershipOptions): Leadership {
  const log = options.logger;
  const client = new pg.Client({
    connectionString: options.pgUrl,
    application_name: LEADER_APPLICATION,
  });
  const holder = `${hostname()}/${process.pid}`;
  const now = options.now ?? (() => performance.now());
  const listeners: Array<(error: Error) => void> = [];
  let epoch: bigint | undefined;
  let connected = false;
  let renewTimer: NodeJS.Timeout | undefined;
  let renewing = false;
  let renewedAt = 0;

  const lost = (error: Error): void => {
    if (epoch === undefined) return;
    const was = epoch;
    epoch = undefined;
    clearInterval(renewTimer);
    options.onChange?.({ active: false, epoch: undefined });
    log.error({ err: error, epoch: was.toString() }, "lost the active role; stepping down");
    for (const l of listeners) l(error);
  };
  client.on("error", lost);
  client.on("end", () => {
    lost(new LeadershipLostError("leadership session closed"));
  });

  const renew = async (): Promise<void> => {
    if (renewing || epoch === undefined) return;
    // Paused past the lease (SIGSTOP, a stalled event loop): a standby may be active by now.
    // The renewal below would tell, but nothing of this instance may run on in the meantime.
    if (now() - renewedAt > options.leaseMs) {
      lost(new LeadershipLostError(`lease not renewed for ${now() - renewedAt} ms`));
      return;
    }
    renewing = true;
    try {
      const mine = epoch;
      const sent = now();
      const r = await client.query(RENEW_SQL, [mine.toString(), options.leaseMs]);
      if (r.rowCount === 0)
        lost(new LeadershipLostError(`another replicator took over after epoch ${mine}`));
      else renewedAt = sent;
    } catch (error) {
      lost(new LeadershipLostError("renewing the lease failed", { cause: error }));
    } finally {
      renewing = false;
    }
  };

  /** One attempt; returns the new epoch if the lease was free and is now ours. */
  const claim = async (): Promise<bigint | undefined> => {
    const { rows } = await client.query<{ takeable: boolean }>(TAKEABLE_SQL);
    if (rows[0]?.takeable !== true) return undefined;
    // FOR UPDATE inside: waits for the deposed active's merge transactions in flight.
    await client.query("BEGIN");
    try {
      await client.query(`SET LOCAL lock_timeout = ${CLAIM_LOCK_TIMEOUT_MS}`);
      const r = await client.query<{ epoch: string }>(CLAIM_SQL, [holder, options.leaseMs]);
      await client.query("COMMIT");
      return r.rows[0] === undefined ? undefined : BigInt(r.rows[0].epoch);
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined); // the claim's error is the one to report
      throw error;
    }
  };

  return {
    async acquire(signal) {
      if (!connected) {
        await client.connect();
        connected = true;
      }
      let won: bigint | undefined;
      for (;;) {
        signal.throwIfAborted();
        renewedAt = now();
        won = await claim().catch((error: unknown) => {
          log.warn({ err: error }, "taking over the lease failed; trying again");
          return undefined;
        });
        if (won !== undefined) break;
        await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
      }
      epoch = won;
      renewTimer = setInterval(() => void renew(), Math.max(100, Math.floor(options.leaseMs / 3)));
      options.onChange?.({ active: true, epoch: won });
      const { rows } = await client.query<{ ended: boolean }>(TERMINATE_SLOT_READER_SQL, [
        options.slot,
      ]);
      if (rows.length > 0)
        log.warn({ slot: options.slot }, "ended the deposed active's walsender on the slot");
      log.info({ epoch: won.toString(), holder }, "active replicator for this region");
      return won;
    },
    get active() {
      return epoch !== undefined;
    },
    async confirm() {
      const mine = epoch;
      if (mine === undefined) throw new LeadershipLostError("not the active replicator");
      const r = await client.query(CONFIRM_SQL, [mine.toString()]);
      if (r.rowCount === 0) {
        const error = new LeadershipLostError(`another replicator took over after epoch ${mine}`);
        lost(error);
        throw error;
      }
    },
    onLost(listener) {
      listeners.push(listener);
    },
    async release() {
      clearInterval(renewTimer);
      const mine = epoch;
      epoch = undefined;
      if (!connected) return;
      connected = false;
      if (mine !== undefined) {
        options.onChange?.({ active: false, epoch: undefined });
        await client.query(HAND_OVER_SQL, [mine.toString()]).catch((error: unknown) => {
          log.warn({ err: error }, "handing the lease over failed; it expires on its own");
        });
      }
      await client.end();
    },
  };
}
