import { hostname } from "node:os";
import pg from "pg";
import type { Logger } from "@georep/observability";
import { pgConnection, sqlStateOf } from "@georep/schema";
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

/** The region's database has no lease (georep.leader): it was never installed at migration 5. */
export class LeadershipSetupError extends Error {
  override readonly name = "LeadershipSetupError";
}

export interface LeadershipOptions {
  readonly pgUrl: string;
  /** The password of pgUrl's user (a secret: never logged). */
  readonly pgPassword?: string | undefined;
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
  const holder = `${hostname()}/${process.pid}`;
  const now = options.now ?? (() => performance.now());
  const listeners: Array<(error: Error) => void> = [];
  let client: pg.Client | undefined;
  let broken = false;
  let epoch: bigint | undefined;
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

  /** A fresh session: a standby whose session dropped (a restart, a failover) opens another. */
  const session = async (): Promise<pg.Client> => {
    if (client !== undefined && !broken) return client;
    const old = client;
    client = undefined;
    await old?.end().catch(() => undefined); // the broken session's error was reported already
    const c = new pg.Client({
      ...pgConnection(options.pgUrl, options.pgPassword),
      application_name: LEADER_APPLICATION,
      // A half-open connection must fail a renewal, not hang it past the lease.
      keepAlive: true,
      query_timeout: options.leaseMs + CLAIM_LOCK_TIMEOUT_MS,
    });
    // Only the current session's end counts (an old one may report its end late).
    c.on("error", (error) => {
      if (client !== c) return;
      broken = true;
      lost(new LeadershipLostError("the leadership session failed", { cause: error }));
    });
    c.on("end", () => {
      if (client !== c) return;
      broken = true;
      lost(new LeadershipLostError("leadership session closed"));
    });
    client = c;
    broken = false;
    try {
      await c.connect();
    } catch (error) {
      broken = true;
      throw error;
    }
    return c;
  };

  const renew = async (): Promise<void> => {
    if (epoch === undefined) return;
    // Paused past the lease (SIGSTOP, a stalled event loop) or a renewal still hanging: a
    // standby may be active by now, and nothing of this instance may run on meanwhile.
    if (now() - renewedAt > options.leaseMs) {
      lost(new LeadershipLostError(`lease not renewed for ${Math.round(now() - renewedAt)} ms`));
      return;
    }
    if (renewing || client === undefined) return;
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
  const claim = async (c: pg.Client): Promise<bigint | undefined> => {
    const { rows } = await c.query<{ takeable: boolean }>(TAKEABLE_SQL);
    if (rows[0] === undefined)
      throw new LeadershipSetupError(
        "georep.leader has no row: run `georep schema apply` (or start with installSchema) for this region",
      );
    if (!rows[0].takeable) return undefined;
    // FOR UPDATE inside: waits for the deposed active's merge transactions in flight.
    await c.query("BEGIN");
    try {
      await c.query(`SET LOCAL lock_timeout = ${CLAIM_LOCK_TIMEOUT_MS}`);
      const r = await c.query<{ epoch: string }>(CLAIM_SQL, [holder, options.leaseMs]);
      await c.query("COMMIT");
      return r.rows[0] === undefined ? undefined : BigInt(r.rows[0].epoch);
    } catch (error) {
      await c.query("ROLLBACK").catch(() => undefined); // the claim's error is the one to report
      throw error;
    }
  };

  return {
    async acquire(signal) {
      let won: bigint | undefined;
      for (;;) {
        signal.throwIfAborted();
        try {
          won = await claim(await session());
        } catch (error) {
          // No lease table (a database never installed) cannot mend itself: fail the start.
          if (error instanceof LeadershipSetupError || sqlStateOf(error) === "42P01")
            throw new LeadershipSetupError(
              "georep.leader is missing: run `georep schema apply` for this region (migration 5)",
              { cause: error },
            );
          log.warn({ err: error }, "taking over the lease failed; trying again");
        }
        if (won !== undefined) break;
        await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
      }
      // The lease runs from the claim's UPDATE, which came before this.
      renewedAt = now();
      epoch = won;
      renewTimer = setInterval(() => void renew(), Math.max(100, Math.floor(options.leaseMs / 3)));
      options.onChange?.({ active: true, epoch: won });
      const c = await session();
      const { rows } = await c.query<{ ended: boolean }>(TERMINATE_SLOT_READER_SQL, [options.slot]);
      if (rows.some((r) => !r.ended))
        log.warn(
          { slot: options.slot },
          "the deposed active's walsender did not end within 5 s; capture retries until the slot is free",
        );
      else if (rows.length > 0)
        log.warn({ slot: options.slot }, "ended the deposed active's walsender on the slot");
      log.info({ epoch: won.toString(), holder }, "active replicator for this region");
      return won;
    },
    get active() {
      return epoch !== undefined;
    },
    async confirm() {
      const mine = epoch;
      if (mine === undefined || client === undefined)
        throw new LeadershipLostError("not the active replicator");
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
      const c = client;
      client = undefined;
      if (c === undefined) return;
      if (mine !== undefined && !broken) {
        options.onChange?.({ active: false, epoch: undefined });
        await c.query(HAND_OVER_SQL, [mine.toString()]).catch((error: unknown) => {
          log.warn({ err: error }, "handing the lease over failed; it expires on its own");
        });
      }
      await c.end().catch(() => undefined); // a session that already failed has nothing to close
    },
  };
}
