import { EPOCH_CHECK_FN } from "./epoch-check.ts";
import { PROGRESS_ARRAY_TYPES, PROGRESS_COLUMNS, upsertProgressSql } from "./progress.ts";

/**
 * Per-partition fencing by the progress row. Several merge workers of one region share a consumer
 * group; during a rebalance, or when a paused worker wakes up, two of them can hold the same
 * partition's batch. Each batch's transaction first locks its partition's progress row and checks
 * it still says what the worker last saw (`after`); a worker that finds the row moved on, or
 * created by someone else, fails with FENCED_SQLSTATE before touching any row, and reloads its
 * position from the database. Of two transactions for one partition, the second waits on the
 * first's row lock and then sees the moved row: exactly one applies the batch.
 */
export const FENCED_SQLSTATE = "GRF01";

const FENCE_FN = "pg_temp.georep_progress_fence";
const RECORD_FN = "pg_temp.georep_record_progress";
const vars = PROGRESS_ARRAY_TYPES.map((_t, i) => `g__r${i + 1}`);
const params = vars.map((v, i) => `${v} ${PROGRESS_ARRAY_TYPES[i] ?? "text[]"}`).join(", ");

/** The fence, as a statement for a plpgsql body whose progress arrays are named `names`. */
export const fenceCallSql = (names: readonly string[]): string =>
  `PERFORM ${FENCE_FN}(${names.join(", ")})`;

/** Fence then record, in one statement (no rows to merge), with the arrays as parameters $1…$7. */
export const RECORD_PROGRESS_SQL = `SELECT ${RECORD_FN}(${PROGRESS_ARRAY_TYPES.map((t, i) => `$${i + 1}::${t}`).join(", ")})`;

/** Creates the session's fence and record functions (once per connection, with the merge functions). */
export const progressFunctionsSql = `CREATE OR REPLACE FUNCTION ${FENCE_FN}(${params})
RETURNS void LANGUAGE plpgsql VOLATILE AS $georep$
DECLARE
  g__held int;
  g__claimed int;
BEGIN
  -- FOR UPDATE re-checks kafka_offset on the newest row version once a concurrent writer
  -- commits; ON CONFLICT DO NOTHING claims a partition nobody has recorded yet.
  WITH x AS (SELECT * FROM unnest(${vars.join(", ")}) AS x(${PROGRESS_COLUMNS})),
  held AS (
    SELECT 1 FROM georep.progress p JOIN x ON p.topic = x.topic AND p.partition = x.partition
    WHERE x.after_offset IS NOT NULL AND p.kafka_offset = x.after_offset
    FOR UPDATE OF p
  ),
  claimed AS (
    INSERT INTO georep.progress (topic, partition, origin, kafka_offset)
    SELECT x.topic, x.partition, x.origin, x.kafka_offset FROM x WHERE x.after_offset IS NULL
    ON CONFLICT (topic, partition) DO NOTHING
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM held), (SELECT count(*) FROM claimed) INTO g__held, g__claimed;
  IF g__held + g__claimed < cardinality(${vars[0]}) THEN
    RAISE EXCEPTION 'another merge worker applied this partition past the position this worker read'
      USING ERRCODE = '${FENCED_SQLSTATE}',
        HINT = 'the worker reloads its position from georep.progress and goes on from there';
  END IF;
END
$georep$;
CREATE OR REPLACE FUNCTION ${RECORD_FN}(${params})
RETURNS void LANGUAGE plpgsql VOLATILE AS $georep$
BEGIN
  PERFORM ${EPOCH_CHECK_FN}();
  ${fenceCallSql(vars)};
  ${upsertProgressSql(vars)};
END
$georep$;`;
