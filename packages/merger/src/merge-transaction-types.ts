import type { ClientBase } from "pg";
import type { RowsEnvelope } from "@georep/contract";
import type { BatchContext } from "./errors.ts";
import type { QuarantinedRow } from "./quarantine.ts";
import type { ProgressEntry } from "./sql/progress.ts";

export interface MergeInput {
  readonly envelopes: readonly RowsEnvelope[];
  readonly progress: readonly ProgressEntry[];
  /** Rows set aside instead of merged, recorded in the same transaction as the progress. */
  readonly quarantine?: readonly QuarantinedRow[];
}

export interface MergeResult {
  /** Staged state rows (after coalescing duplicates of one key and origin). */
  readonly stagedRows: number;
  readonly stateRowsChanged: number;
  readonly userRowsInserted: number;
  readonly userRowsUpdated: number;
  readonly userRowsDeleted: number;
  readonly conflicts: number;
  readonly attempts: number;
  /** Time the merge functions spent locking user rows: mostly waiting for local transactions. */
  readonly lockWaitSeconds: number;
  /** Wall time of the transaction's SQL, every attempt and the lock wait included. */
  readonly sqlSeconds: number;
}

export interface MergeTransaction {
  /**
   * Merges the envelopes and records `progress` in ONE transaction on `client`, retrying the
   * whole transaction on deadlock (40P01) or serialization failure (40001) with backoff.
   * @throws MergeError with the SQLSTATE, the failing step and the batch context.
   */
  run(client: ClientBase, input: MergeInput, context?: Partial<BatchContext>): Promise<MergeResult>;
}

export function totalsOf(sums: readonly number[]): Omit<MergeResult, "attempts" | "sqlSeconds"> {
  const [stagedRows = 0, stateRowsChanged = 0, userRowsInserted = 0] = sums;
  const [, , , userRowsUpdated = 0, userRowsDeleted = 0, conflicts = 0, lockWaitMicros = 0] = sums;
  return {
    lockWaitSeconds: lockWaitMicros / 1e6,
    stagedRows,
    stateRowsChanged,
    userRowsInserted,
    userRowsUpdated,
    userRowsDeleted,
    conflicts,
  };
}
