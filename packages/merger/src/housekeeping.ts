import type { Pool } from "pg";
import type { Logger, WallClock } from "@georep/observability";
import { MERGER_ROLE } from "@georep/schema";
import type { StateLayout } from "@georep/schema";
import { MergeError, MergerConfigError } from "./errors.ts";
import { worstPerOrigin } from "./metrics.ts";
import type { MergerMetrics, PartitionLag } from "./metrics.ts";
import type { MergerOptions } from "./options.ts";
import type { AppliedPartition, ProgressStore } from "./progress-store.ts";
import { PRUNE_CONFLICTS_SQL } from "./sql/progress.ts";
import type { MergeTransaction } from "./merge-transaction-types.ts";
import { DEFERRED_REASON, QUARANTINE_REASONS } from "./quarantine.ts";
import { quarantineSize, replayQuarantine } from "./quarantine-replay.ts";
import type { Collector } from "./collection/collector.ts";
import { unrepairedGapCounts } from "./gaps.ts";

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

/**
 * Lag of every partition with an applied commit time: now (the injected clock) − that time.
 * Commit times ahead of now were clamped to their arrival when applied, so lag never reads 0
 * for a day.
 */
export function partitionLags(applied: readonly AppliedPartition[], nowMs: number): PartitionLag[] {
  return applied.flatMap((p) =>
    p.commitTime === null
      ? []
      : [
          {
            origin: p.origin,
            topic: p.topic,
            partition: p.partition,
            seconds: Math.max(0, (nowMs - p.commitTime) / 1000),
          },
        ],
  );
}

export interface Housekeeping {
  /**
   * Seconds since the latest applied source commit of each origin's worst partition, per origin
   * seen by the last lag refresh.
   */
  lagSeconds(): Record<string, number>;
  /** Reads every partition's progress (all merge workers') and sets the lag gauges. */
  refreshLag(): Promise<void>;
  /** Deletes conflict-ledger rows older than `hours`. */
  prune(hours: number): Promise<void>;
  /**
   * Lag gauges now and every lagIntervalMs, conflict retention every retentionIntervalMs, and
   * every deferredRetryIntervalMs: replay of rows set aside behind a local lock, quarantine gauges,
   * and the unrepaired-gaps gauge (repair marks gaps in the database, possibly from another process);
   * every collectionIntervalMs: tombstone collection.
   */
  start(options: MergerOptions, merging: Merging): void;
  stop(): void;
}

/** Runs `task` unless its previous run is still going; failures are logged as `what`. */
function single(log: Logger, what: string, task: () => Promise<void>): () => void {
  let running = false;
  return () => {
    if (running) return;
    running = true;
    void task()
      .catch((e: unknown) => {
        log.warn({ err: e }, what);
      })
      .finally(() => (running = false));
  };
}

export function createHousekeeping(deps: {
  readonly pool: Pool;
  readonly progress: ProgressStore;
  readonly metrics: MergerMetrics;
  readonly clock: WallClock;
  readonly log: Logger;
  /** Tombstone collection, every collectionIntervalMs. */
  readonly collector?: Collector | undefined;
}): Housekeeping {
  const timers: NodeJS.Timeout[] = [];
  // Per origin, the commit time of its worst partition: the lag keeps growing between refreshes.
  let oldestCommits = new Map<string, number>();
  const lagSeconds = (): Record<string, number> =>
    Object.fromEntries(
      [...oldestCommits].map(([origin, t]) => [origin, Math.max(0, (deps.clock() - t) / 1000)]),
    );
  // The database, not this worker's memory: the region's other workers advance the partitions
  // this one does not hold, and one stuck partition must show in its origin's lag.
  const refreshLag = async (): Promise<void> => {
    const now = deps.clock();
    const lags = partitionLags(await deps.progress.readApplied(), now);
    deps.metrics.setLag(lags);
    oldestCommits = new Map(
      [...worstPerOrigin(lags)].map(([origin, seconds]) => [origin, now - seconds * 1000]),
    );
  };
  const prune = async (hours: number): Promise<void> => {
    const { rowCount } = await deps.pool.query(PRUNE_CONFLICTS_SQL, [hours]);
    if ((rowCount ?? 0) > 0) deps.metrics.conflictsPruned(rowCount ?? 0);
  };
  return {
    lagSeconds,
    refreshLag,
    prune,
    start(options, merging) {
      const refresh = single(deps.log, "refreshing the lag gauges failed", refreshLag);
      const retain = single(deps.log, "conflict retention failed", () =>
        prune(options.conflictRetentionHours),
      );
      const replay = single(deps.log, "replaying rows set aside behind a local lock failed", () =>
        replayDeferred(deps, options, merging),
      );
      const gaps = single(deps.log, "reading the unrepaired gaps failed", async () => {
        deps.metrics.setUnrepairedGaps(await unrepairedGapCounts(deps.pool));
      });
      refresh();
      gaps();
      timers.push(setInterval(refresh, options.lagIntervalMs).unref());
      timers.push(setInterval(gaps, options.deferredRetryIntervalMs).unref());
      timers.push(setInterval(retain, options.retentionIntervalMs).unref());
      timers.push(setInterval(replay, options.deferredRetryIntervalMs).unref());
      const { collector } = deps;
      if (collector !== undefined) {
        const collect = single(deps.log, "tombstone collection failed", async () => {
          await collector.pass();
        });
        collect(); // the gauges exist from the start
        timers.push(setInterval(collect, options.collectionIntervalMs).unref());
      }
    },
    stop() {
      for (const t of timers.splice(0)) clearInterval(t);
    },
  };
}
