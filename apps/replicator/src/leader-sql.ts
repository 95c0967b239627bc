// The statements of the leadership lease (georep.leader, migration 5). Expiry is judged by the
// database's clock only.

export const LEADER_APPLICATION = "georep-leader";

/** Whether a standby may take over: the lease expired, or its holder's session is gone. */
export const TAKEABLE_SQL = `SELECT l.expires_at < clock_timestamp() OR NOT EXISTS (
    SELECT 1 FROM pg_stat_activity a
    WHERE a.pid = l.holder_pid AND a.application_name = '${LEADER_APPLICATION}'
  ) AS takeable
FROM georep.leader l WHERE l.id`;

/**
 * In a transaction: lock the row (FOR UPDATE waits for merges holding FOR KEY SHARE), check
 * again, and take it with the next epoch. lock_timeout: a deposed active stuck inside a merge
 * transaction is ended by idle_in_transaction_session_timeout; the next poll tries again.
 */
export const CLAIM_SQL = `WITH locked AS (
  SELECT l.id FROM georep.leader l WHERE l.id AND (
    l.expires_at < clock_timestamp() OR NOT EXISTS (
      SELECT 1 FROM pg_stat_activity a
      WHERE a.pid = l.holder_pid AND a.application_name = '${LEADER_APPLICATION}'))
  FOR UPDATE
)
UPDATE georep.leader l SET epoch = l.epoch + 1, holder = $1, holder_pid = pg_backend_pid(),
  renewed_at = clock_timestamp(), expires_at = clock_timestamp() + $2 * interval '1 millisecond'
FROM locked WHERE l.id = locked.id
RETURNING l.epoch::text AS epoch`;

export const RENEW_SQL = `UPDATE georep.leader
SET renewed_at = clock_timestamp(), expires_at = clock_timestamp() + $2 * interval '1 millisecond'
WHERE id AND epoch = $1::bigint AND holder_pid = pg_backend_pid()`;

export const CONFIRM_SQL = `SELECT 1 FROM georep.leader WHERE id AND epoch = $1::bigint`;

/** A stopping active lets a standby in at once. */
export const HAND_OVER_SQL = `UPDATE georep.leader SET expires_at = '-infinity'
WHERE id AND epoch = $1::bigint`;

/** A deposed active's walsender holds the slot until wal_sender_timeout: end it (waits up to 5 s). */
export const TERMINATE_SLOT_READER_SQL = `SELECT pg_terminate_backend(active_pid, 5000) AS ended
FROM pg_replication_slots
WHERE slot_name = $1 AND active_pid IS NOT NULL AND active_pid <> pg_backend_pid()`;
