import type { RowsEnvelope } from "@georep/contract";
import type { MergeResult } from "./merge-transaction.ts";
import type { QuarantinedRow } from "./quarantine.ts";
import type { ProgressEntry } from "./sql/progress.ts";

/** One partition's batch, ready to merge: its good envelopes and the progress row to record. */
export interface GroupItem {
  readonly rows: readonly RowsEnvelope[];
  readonly entry: ProgressEntry;
  /** Rows set aside before merging (clock skew), recorded with the progress. */
  readonly setAside?: readonly QuarantinedRow[];
}

/** Merges several partitions' batches and their progress rows in ONE transaction. */
export type GroupRunner = (items: readonly GroupItem[]) => Promise<MergeResult>;

export interface GroupCommit {
  /**
   * Resolves with the result once the batch is committed (the whole group's result for the first
   * batch of a group, zeros for the others, so metrics count rows once), or with `undefined` when
   * the group's transaction failed: the caller then merges the batch on its own, with the solo
   * path's error handling (data-error split, transient retries).
   */
  submit(item: GroupItem): Promise<MergeResult | undefined>;
}

/** Default cap on row slices per grouped transaction. */
export const DEFAULT_MAX_GROUP_ROWS = 20_000;

const EMPTY: Omit<MergeResult, "attempts"> = {
  stagedRows: 0,
  stateRowsChanged: 0,
  userRowsInserted: 0,
  userRowsUpdated: 0,
  userRowsDeleted: 0,
  conflicts: 0,
  lockWaitSeconds: 0,
  sqlSeconds: 0,
};

/**
 * Group commit across partitions. A batch that arrives while no merge transaction runs starts one
 * at once, alone (no added latency); batches that arrive while one runs wait for it and then go
 * together in the next transaction. Under load each transaction carries more partitions, so the
 * commit (WAL flush) and the per-transaction work are shared. One grouped transaction runs at a
 * time, so this merger's own transactions never wait on each other's row locks.
 *
 * A group is bounded by total row slices (`maxRows`, default 20,000) and by batch count
 * (`maxGroup`): the batches that would exceed the cap wait, in order, for the next group. A single
 * batch larger than the cap still goes, alone. Without the cap, catch-up could put 16 partitions'
 * full fetches (~64 MB) in one transaction.
 */
export function createGroupCommit(
  run: GroupRunner,
  limits: { readonly maxRows?: number | undefined; readonly maxGroup?: number | undefined } = {},
): GroupCommit {
  const maxRows = limits.maxRows ?? DEFAULT_MAX_GROUP_ROWS;
  const maxGroup = limits.maxGroup ?? 64;
  const queue: Array<{
    readonly item: GroupItem;
    readonly rows: number;
    readonly done: (r: MergeResult | undefined) => void;
  }> = [];
  let running = false;

  /** The next group: queued batches in arrival order while the total row count stays within maxRows (at least one). */
  const nextGroup = (): typeof queue => {
    let n = 0;
    let total = 0;
    for (const q of queue) {
      if (n >= maxGroup || (n > 0 && total + q.rows > maxRows)) break;
      total += q.rows;
      n++;
    }
    return queue.splice(0, n);
  };

  async function drain(): Promise<void> {
    running = true;
    try {
      while (queue.length > 0) {
        const group = nextGroup();
        let result: MergeResult | undefined;
        try {
          result = await run(group.map((g) => g.item));
        } catch {
          result = undefined; // each batch retries alone, with the solo path's error handling
        }
        for (const [i, g] of group.entries())
          g.done(
            result === undefined || i === 0 ? result : { ...EMPTY, attempts: result.attempts },
          );
      }
    } finally {
      running = false;
    }
  }

  return {
    submit: (item) =>
      new Promise((done) => {
        queue.push({ item, rows: item.rows.reduce((n, e) => n + e.rows.length, 0), done });
        if (!running) void drain();
      }),
  };
}
