/**
 * Apply progress per (topic, partition), written in the merge transaction itself: the database,
 * not Kafka's committed offsets, says what has been applied. Offsets and commit times never go back.
 */
export const upsertProgressSql = (arrays: readonly string[]): string =>
  `INSERT INTO georep.progress AS p (topic, partition, origin, kafka_offset, source_lsn, source_commit_time, applied_at)
SELECT x.topic, x.partition, x.origin, x.kafka_offset, x.source_lsn, to_timestamp(x.commit_ms / 1000.0), clock_timestamp()
FROM unnest(${arrays.join(", ")})
  AS x(${PROGRESS_COLUMNS})
ON CONFLICT (topic, partition) DO UPDATE SET
  origin = excluded.origin,
  kafka_offset = greatest(p.kafka_offset, excluded.kafka_offset),
  source_lsn = CASE WHEN excluded.source_commit_time >= p.source_commit_time OR p.source_commit_time IS NULL THEN coalesce(excluded.source_lsn, p.source_lsn) ELSE p.source_lsn END,
  source_commit_time = greatest(p.source_commit_time, excluded.source_commit_time),
  applied_at = excluded.applied_at`;

/** The SQL types of the progress arrays, in progressParams order. */
export const PROGRESS_ARRAY_TYPES = [
  "text[]",
  "int[]",
  "text[]",
  "bigint[]",
  "text[]",
  "bigint[]",
  "bigint[]",
];

/** The names of the unnested progress arrays, in progressParams order. */
export const PROGRESS_COLUMNS =
  "topic, partition, origin, kafka_offset, source_lsn, commit_ms, after_offset";

export const UPSERT_PROGRESS_SQL = upsertProgressSql(
  PROGRESS_ARRAY_TYPES.map((type, i) => `$${i + 1}::${type}`),
);

export const READ_PROGRESS_SQL = `SELECT topic, partition, origin, kafka_offset::text AS kafka_offset, source_lsn,
  (extract(epoch FROM source_commit_time) * 1000)::bigint::text AS commit_ms
FROM georep.progress WHERE topic = ANY($1::text[])`;

/** Conflict-ledger retention: rows older than the given number of hours go. */
export const PRUNE_CONFLICTS_SQL = `DELETE FROM georep.conflicts WHERE recorded_at < clock_timestamp() - make_interval(hours => $1::int)`;

export interface ProgressEntry {
  readonly topic: string;
  readonly partition: number;
  readonly origin: string;
  /** Last applied offset. */
  readonly offset: bigint;
  readonly lsn: string | null;
  /** Source commit time, epoch ms (null when only dead letters were seen). */
  readonly commitTime: number | null;
  /**
   * The fence: the last offset this worker knows was applied (null: it knows of no progress row).
   * The transaction goes ahead only if the progress row still says so (progress-fence.ts).
   */
  readonly after: bigint | null;
}

export function progressParams(entries: readonly ProgressEntry[]): unknown[] {
  return [
    entries.map((e) => e.topic),
    entries.map((e) => e.partition),
    entries.map((e) => e.origin),
    entries.map((e) => e.offset.toString()),
    entries.map((e) => e.lsn),
    entries.map((e) => (e.commitTime === null ? null : String(e.commitTime))),
    entries.map((e) => (e.after === null ? null : e.after.toString())),
  ];
}
