import type { StateLayout } from "@georep/schema";
import {
  CANONICAL_TEXT_FUNCTION_SET,
  keyVar,
  lockUserRowsCall,
  writeUserRowsCall,
} from "@georep/schema";
import { conflictCandidatesSql, recordConflictsSql } from "./conflicts.ts";
import { stageColumns, stageParam, tempNames } from "./common.ts";
import { PROGRESS_ARRAY_TYPES, upsertProgressSql } from "./progress.ts";
import { fenceCallSql } from "./progress-fence.ts";
import { EPOCH_CHECK_FN } from "./epoch-check.ts";
import { createCandidateTableSql, touchedKeysSql } from "./stage.ts";
import { upsertStateSql } from "./state-upsert.ts";

const progressVars = PROGRESS_ARRAY_TYPES.map((_t, i) => `g__r${i + 1}`);

/**
 * Every step of merging one table's staged rows, as ONE session-local plpgsql function: one round
 * trip per batch instead of one per step, and every statement planned once per connection.
 *
 * The function is VOLATILE, so in READ COMMITTED each statement in it takes a fresh snapshot, as
 * separate client statements did: the lock-then-rewrite argument of docs/merge.md holds unchanged.
 * `jit = off`: disabling seq scans inflates estimated costs past jit_above_cost, and JIT
 * compilation then cost ~1 s per statement (seen in auto_explain).
 * `enable_seqscan = off` (for the function's statements only): every join of the batch with a
 * user or state table is a per-key index probe whatever the batch size, instead of a plan chosen
 * once for the connection's first batch (a full scan of the table, cached for every later batch).
 * The canonical text settings: register values (and keys) arrive as text and are cast to their
 * types here, and registers are compared as text for the conflict ledger; a merger session whose
 * DateStyle or TimeZone differs must read and compare them as the writing region meant them.
 *
 * Arguments: one text array per staged column (stageColumns order), whether any staged row carries
 * a register write (conflict detection runs only then), then the seven progress arrays (NULL = no
 * progress to record, e.g. when another table's call records it). The epoch check
 * (epoch-check.ts) runs first; then, with progress, the partition's fence (progress-fence.ts), before any row is locked or written. Returns
 * [staged, state rows changed, user rows inserted, updated, deleted, conflicts, µs in the lock step].
 */
export function mergeFunctionSql(layout: StateLayout): string {
  const stage = stageColumns(layout).map((_c, i) => `${stageParam(i)} text[]`);
  const progress = progressVars.map((v, i) => `${v} ${PROGRESS_ARRAY_TYPES[i] ?? "text[]"}`);
  const keys = layout.key.map((k, i) => `${keyVar(i)} ${k.type}[];`);
  const registers = layout.registers.length > 0;
  return `${createCandidateTableSql(layout)}
CREATE OR REPLACE FUNCTION ${tempNames(layout).fn}(${[...stage, "g__registers boolean", ...progress].join(", ")})
RETURNS int[] LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET jit = off ${CANONICAL_TEXT_FUNCTION_SET} AS $georep$
#variable_conflict use_column
DECLARE
  ${keys.join("\n  ")}
  g__candidates int := 0;
  g__changed int := 0;
  g__written int[];
  g__conflicts int := 0;
  g__locked timestamptz;
  g__lock_us int;
BEGIN
  -- Our writes are merged state, not local writes: the capture trigger ignores them.
  PERFORM set_config('georep.applying', 'on', true);
  PERFORM ${EPOCH_CHECK_FN}();
  IF ${progressVars[0] ?? "NULL"} IS NOT NULL THEN
    ${fenceCallSql(progressVars)};
  END IF;
  ${touchedKeysSql(layout)};
  -- (1) lock the existing user rows of every touched key, in key order. Steps (1), (3) and (4)+(5)
  -- run in the installed user-row functions: the merge role writes no user table itself.
  g__locked := clock_timestamp();
  ${lockUserRowsCall(layout)};
  -- Time in the lock step: mostly waiting for row locks local transactions hold.
  g__lock_us := (extract(epoch FROM clock_timestamp() - g__locked) * 1000000)::int;
  IF g__registers THEN
    ${registers ? `${conflictCandidatesSql(layout)};\n    GET DIAGNOSTICS g__candidates = ROW_COUNT;` : "NULL;"}
  END IF;
  -- (2) merge the state rows
  ${upsertStateSql(layout)};
  GET DIAGNOSTICS g__changed = ROW_COUNT;
  IF g__candidates > 0 THEN
    ${registers ? `${recordConflictsSql(layout)};\n    GET DIAGNOSTICS g__conflicts = ROW_COUNT;` : "NULL;"}
  END IF;
  -- (3) insert missing user rows, or lock the row a local transaction inserted meanwhile, then
  -- (4)+(5) in a statement of its own (fresh snapshot): rewrite/delete user rows from the view
  ${writeUserRowsCall(layout, "g__written")};
  IF ${progressVars[0] ?? "NULL"} IS NOT NULL THEN
    ${upsertProgressSql(progressVars)};
  END IF;
  RETURN ARRAY[cardinality(${stageParam(0)}), g__changed, g__written[1], g__written[2], g__written[3], g__conflicts, g__lock_us];
END
$georep$;`;
}

/** The call of a table's merge function, with its arguments as parameters $1…$n. */
export function mergeCallSql(layout: StateLayout): string {
  const stage = stageColumns(layout).map((_c, i) => `$${i + 1}::text[]`);
  const n = stage.length;
  const progress = PROGRESS_ARRAY_TYPES.map((t, i) => `$${n + 2 + i}::${t}`);
  return `SELECT ${tempNames(layout).fn}(${[...stage, `$${n + 1}::boolean`, ...progress].join(", ")}) AS r`;
}
