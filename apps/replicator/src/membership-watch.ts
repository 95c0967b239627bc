// Follows the region's membership (georep.regions) while the replicator runs, so a region added
// or removed with `georep region add|remove` is consumed or dropped without a restart.
import type pg from "pg";
import type { Logger } from "@georep/observability";
import { startPeriodic } from "@georep/retry";
import type { Periodic } from "@georep/retry";
import { readMembers, sameMembers } from "@georep/schema";
import type { Member } from "@georep/schema";

export interface MembershipWatch {
  members(): readonly Member[];
  stop(): Promise<void>;
}

/**
 * Reads the live members every `intervalMs` and calls `onChange` with the new list when it
 * differs (one change at a time; a failed `onChange` is retried at the next tick).
 */
export function startMembershipWatch(o: {
  readonly pool: pg.Pool;
  readonly initial: readonly Member[];
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly onChange: (members: readonly Member[]) => Promise<void>;
}): MembershipWatch {
  let current = o.initial;
  const periodic: Periodic = startPeriodic(
    async () => {
      const now = await readMembers(o.pool);
      if (sameMembers(now, current)) return;
      o.logger.info(
        { from: current.map((m) => m.id), to: now.map((m) => m.id) },
        "region membership changed; the merger follows it",
      );
      await o.onChange(now);
      current = now;
    },
    {
      intervalMs: o.intervalMs,
      onError: (error) => {
        o.logger.warn({ err: error }, "following the region membership failed; retrying");
      },
    },
  );
  return { members: () => current, stop: () => periodic.stop() };
}

/**
 * The members a replicator starts with: the database's live members. Regions the config lists
 * that the database has removed are dropped, and the config is reported stale both ways.
 */
export async function startingMembers(
  pool: pg.Pool,
  configured: readonly Member[],
  logger: Logger,
): Promise<readonly Member[]> {
  const members = await readMembers(pool);
  const ids = new Set(members.map((m) => m.id));
  const listed = new Set(configured.map((m) => m.id));
  const extra = members.filter((m) => !listed.has(m.id)).map((m) => m.id);
  const gone = configured.filter((m) => !ids.has(m.id)).map((m) => m.id);
  if (extra.length > 0 || gone.length > 0)
    logger.warn(
      { addedSinceConfig: extra, removedSinceConfig: gone },
      "the config's regions differ from the database's membership (georep region add/remove); the membership wins: update the config's regions",
    );
  return members;
}
