/**
 * The active replicator's fencing epoch, checked inside every merge transaction. The merger's
 * sessions carry the epoch they were started under (the `georep.epoch` setting, set with the merge
 * functions; merge workers and repair carry none and are fenced by the progress rows alone). The check locks the region's
 * leader row FOR KEY SHARE: a standby taking over locks it FOR UPDATE, so it waits for the merges
 * in flight, and every merge of the deposed active after that fails with EPOCH_SQLSTATE before
 * touching a row. A replicator paused past its lease (SIGSTOP) can therefore commit nothing when
 * it wakes.
 */
export const EPOCH_SQLSTATE = "GRL01";

export const EPOCH_CHECK_FN = "pg_temp.georep_epoch_check";

/** Sets the session's epoch (run once per merging connection). */
export function epochSettingSql(epoch: bigint): string {
  return `SET georep.epoch = '${epoch.toString()}';`;
}

/** Creates the session's epoch check (once per connection, with the merge functions). */
export const epochCheckFunctionSql = `CREATE OR REPLACE FUNCTION ${EPOCH_CHECK_FN}()
RETURNS void LANGUAGE plpgsql VOLATILE AS $georep$
DECLARE
  g__epoch text := current_setting('georep.epoch', true);
BEGIN
  IF g__epoch IS NULL OR g__epoch = '' THEN
    RETURN;
  END IF;
  PERFORM 1 FROM georep.leader WHERE id AND epoch = g__epoch::bigint FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'this replicator is no longer the region''s active one (its epoch % was superseded)', g__epoch
      USING ERRCODE = '${EPOCH_SQLSTATE}',
        HINT = 'a standby took over; this process steps down and its supervisor restarts it as a standby';
  END IF;
END
$georep$;`;
