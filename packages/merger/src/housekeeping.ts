import type { Pool } from "pg";
import type { Logger, WallClock } from "@georep/observability";
import { MERGER_ROLE } from "@georep/schema";
import type { StateLayout } from "@georep/schema";
import { MergeError, MergerConfigError } from "./errors.ts";
import type { MergerMetrics } from "./metrics.ts";
import type { MergerOptions } from "./options.ts";
import type { ProgressStore } from "./progress-store.ts";
import { PRUNE_CONFLICTS_SQL } from "./sql/progress.ts";
import type { MergeTransaction } from "./merge-transaction-types.ts";
import { DEFERRED_REASON, QUARANTINE_REASONS } from "./quarantine.ts";
import { quarantineSize, replayQuarantine } from "./quarantine-replay.ts";

/**
 * Refuses a database of another region, and a user that may not merge.
 * @throws MergerConfigError naming pgUrl and the fix; MergeError when the georep schema cannot be read.
 */
export async function checkDatabase(pool: Pool, region: string): Promise<void> {
  let row: { region: string | null; member: boolean } | undefined;
  try {
    ({
      rows: [row],
    } = await pool.query<{ region: string | null; member: boolean }>(
      `SELECT (SELECT value FROM georep.settings WHERE key = 'region') AS region, pg_has_role(current_user, $1, 'MEMBER') AS member`,
      [MERGER_ROLE],
    ));
  } catch (error) {
    throw new MergeError(
      `merger ${region}: cannot read the georep schema: ${(error as Error).message}`,
      { step: "check database" },
      { cause: error },
    );
  }
  if (row?.region !== region) {
    throw new MergerConfigError(
      `merger ${region}: pgUrl points at the database of region '${String(row?.region)}'; point it at ${region}'s database`,
      "pgUrl",
    );
  }
  if (!row.member) {
    throw new MergerConfigError(
      `merger ${region}: the database user may not merge; connect as a member of ${MERGER_ROLE} (GRANT ${MERGER_ROLE} TO <user>)`,
      "pgUrl",
    );
  }
}

type HousekeepingDeps = Parameters<typeof createHousekeeping>[0];

/** What replaying set-aside rows needs: the merge, and this region's tables. */
export interface Merging {
  readonly mergeTransaction: MergeTransaction;
  readonly layouts: ReadonlyMap<string, StateLayout>;
}

/** Merges rows set aside behind a local lock again, and refreshes the quarantine gauges. */
async function replayDeferred(
  deps: HousekeepingDeps,
  options: MergerOptions,
  merging: Merging,
): Promise<void> {
  const client = await deps.pool.connect();
  let broken: Error | undefined;
  try {
    const outcome = await replayQuarantine(client, {
      reason: DEFERRED_REASON,
      // Each row still blocked costs lockTimeoutMs: a bounded pass keeps the next one on time.
      limit: 50,
      ...merging,
      nowMs: deps.clock(),
      maxForwardSkewMs: options.maxForwardSkewMs,
    });
    deps.metrics.deferredReplayed(outcome.merged, outcome.kept.length);
    if (outcome.merged > 0) deps.log.info({ rows: outcome.merged }, "deferred rows merged");
    const size = await quarantineSize(client);
    deps.metrics.setQuarantineSize(new Map(QUARANTINE_REASONS.map((r) => [r, size.get(r) ?? 0])));
  } catch (error) {
    broken = error as Error;
    throw error;
  } finally {
    client.release(broken);
  }
}

export interface Housekeeping {
  /** Seconds since the latest applied source commit, per origin seen so far. */
  lagSeconds(): Record<string, number>;
  /** Deletes conflict-ledger rows older than `hours`. */
  prune(hours: number): Promise<void>;
  /**
   * Lag gauges every lagIntervalMs, conflict retention every retentionIntervalMs, and every
   * deferredRetryIntervalMs: replay of rows set aside behind a local lock, quarantine gauges.
   */
  start(options: MergerOptions, merging: Merging): void;
  stop(): void;
}

export function createHousekeeping(deps: {
  readonly pool: Pool;
  readonly progress: ProgressStore;
  readonly metrics: MergerMetrics;
  readonly clock: WallClock;
  readonly log: Logger;
}): Housekeeping {
  const timers: NodeJS.Timeout[] = [];
  const lagSeconds = (): Record<string, number> =>
    Object.fromEntries(
      [...deps.progress.latestCommitTimes()].map(([origin, t]) => [
        origin,
        Math.max(0, (deps.clock() - t) / 1000),
      ]),
    );
  const prune = async (hours: number): Promise<void> => {
    const { rowCount } = await deps.pool.query(PRUNE_CONFLICTS_SQL, [hours]);
    if ((rowCount ?? 0) > 0) deps.metrics.conflictsPruned(rowCount ?? 0);
  };
  return {
    lagSeconds,
    prune,
    start(options, merging) {
      const refresh = (): void => {
        for (const [origin, s] of Object.entries(lagSeconds())) deps.metrics.setLag(origin, s);
      };
      const retain = (): void =>
        void prune(options.conflictRetentionHours).catch((e: unknown) => {
          deps.log.warn({ err: e }, "conflict retention failed");
        });
      timers.push(setInterval(refresh, options.lagIntervalMs).unref());
      timers.push(setInterval(retain, options.retentionIntervalMs).unref());
      let replaying = false;
      const replay = (): void => {
        if (replaying) return;
        replaying = true;
        void replayDeferred(deps, options, merging)
          .catch((e: unknown) => {
            deps.log.warn({ err: e }, "replaying rows set aside behind a local lock failed");
          })
          .finally(() => (replaying = false));
      };
      timers.push(setInterval(replay, options.deferredRetryIntervalMs).unref());
    },
    stop() {
      for (const t of timers.splice(0)) clearInterval(t);
    },
  };
}
