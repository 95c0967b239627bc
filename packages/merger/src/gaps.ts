// Gaps: offsets of a source partition that Kafka deleted (retention) before this region read
// them. The shipper's producer is idempotent and not transactional, and georep's topics are
// delete-policy, not compacted (topic-settings.ts), so a partition's offsets are contiguous: a
// batch that starts above the partition's durable next offset means records were deleted unread.
// Their changes still exist in the origin region's state rows; repair from there brings them
// back (docs/merge.md, "Gaps").
//
//   detected (batch starts above the durable next offset) ──record row, count, log──▶ unrepaired
//   unrepaired ──repair of this region from the origin (watcher or georep repair)──▶ repaired
import type { ClientBase, Pool } from "pg";
import type { Logger } from "@georep/observability";
import { MergeError } from "./errors.ts";
import type { MergerMetrics } from "./metrics.ts";

/** Offsets [fromOffset, toOffset] of one source partition that were deleted before being read. */
export interface Gap {
  readonly origin: string;
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: bigint;
  readonly toOffset: bigint;
}

/** A row of georep.gaps. */
export interface GapRow extends Gap {
  readonly detectedAt: Date;
  readonly repairedAt: Date | null;
}

/**
 * The missing offsets between the partition's durable next offset and a batch's first offset, or
 * undefined when the batch starts where expected (or nothing is known of the partition yet). Pure.
 */
export function missingOffsets(
  expected: bigint | undefined,
  first: bigint,
): { readonly from: bigint; readonly to: bigint } | undefined {
  if (expected === undefined || first <= expected) return undefined;
  return { from: expected, to: first - 1n };
}

// Before the batch's merge moves progress past the gap, in its own statement: a crash between the
// two finds the same gap again, and the key (topic, partition, from_offset) records it once. Found
// again with more offsets missing (more was deleted meanwhile), it is unrepaired again: a repair
// that ran in between may have read the origin before those records were written.
const RECORD_GAP_SQL = `INSERT INTO georep.gaps (origin, topic, partition, from_offset, to_offset)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (topic, partition, from_offset) DO UPDATE
  SET to_offset = greatest(georep.gaps.to_offset, excluded.to_offset),
      repaired_at = CASE WHEN excluded.to_offset > georep.gaps.to_offset THEN NULL
                         ELSE georep.gaps.repaired_at END`;

// Dead letters arriving batch after batch (an origin whose key this region lacks) extend the
// unrepaired gap they continue instead of adding a row per batch.
const RECORD_DEAD_LETTERS_SQL = `WITH extended AS (
  UPDATE georep.gaps SET to_offset = greatest(to_offset, $5)
  WHERE topic = $2 AND partition = $3 AND repaired_at IS NULL AND from_offset <= $4 AND to_offset >= $4 - 1
  RETURNING 1)
INSERT INTO georep.gaps (origin, topic, partition, from_offset, to_offset)
SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM extended)
ON CONFLICT (topic, partition, from_offset) DO UPDATE
  SET to_offset = greatest(georep.gaps.to_offset, excluded.to_offset),
      repaired_at = CASE WHEN excluded.to_offset > georep.gaps.to_offset THEN NULL
                         ELSE georep.gaps.repaired_at END`;

/**
 * Records a gap durably, counts it and logs it as an error.
 * @throws MergeError (retriable when the connection was lost) when the row cannot be written.
 */
export async function recordGap(
  deps: { readonly pool: Pool; readonly metrics: MergerMetrics; readonly logger: Logger },
  gap: Gap,
  cause: "deleted" | "dead-lettered" = "deleted",
): Promise<void> {
  const records = gap.toOffset - gap.fromOffset + 1n;
  try {
    await deps.pool.query(cause === "deleted" ? RECORD_GAP_SQL : RECORD_DEAD_LETTERS_SQL, [
      gap.origin,
      gap.topic,
      gap.partition,
      gap.fromOffset.toString(),
      gap.toOffset.toString(),
    ]);
  } catch (error) {
    throw new MergeError(
      `merger: recording the gap ${gap.topic}/${gap.partition} offsets ${gap.fromOffset}-${gap.toOffset} failed: ${(error as Error).message}`,
      { topic: gap.topic, partition: gap.partition, step: "record gap" },
      { cause: error },
    );
  }
  if (cause === "dead-lettered") {
    // Counted as dead letters already; recorded so that the origin's progress is not reported
    // past a change this region did not apply (docs/merge.md, "Gaps").
    deps.logger.warn(
      { origin: gap.origin, topic: gap.topic, partition: gap.partition },
      `dead-lettered records ${gap.topic}/${gap.partition} offsets ${gap.fromOffset}-${gap.toOffset} recorded in georep.gaps for repair from ${gap.origin}: until repaired, this region reports nothing of ${gap.origin}'s progress`,
    );
    return;
  }
  deps.metrics.gap(gap.origin, Number(records));
  deps.logger.error(
    {
      origin: gap.origin,
      topic: gap.topic,
      partition: gap.partition,
      fromOffset: gap.fromOffset.toString(),
      toOffset: gap.toOffset.toString(),
      records: records.toString(),
    },
    `records ${gap.topic}/${gap.partition} offsets ${gap.fromOffset}-${gap.toOffset} were deleted by Kafka before this region read them; merging what follows, and recorded in georep.gaps for repair from ${gap.origin} (automatic with peers configured, otherwise run georep repair)`,
  );
}

/** Consecutive offsets as [from, to] ranges, in order (dead letters recorded as gaps). Pure. */
export function offsetRanges(offsets: readonly bigint[]): Array<{ from: bigint; to: bigint }> {
  const ranges: Array<{ from: bigint; to: bigint }> = [];
  for (const offset of [...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && offset === last.to + 1n) last.to = offset;
    else if (last === undefined || offset > last.to) ranges.push({ from: offset, to: offset });
  }
  return ranges;
}

/**
 * Unrepaired gaps per other region of this database (0 for a region without any), for the gauge.
 * @throws pg's error when the query fails.
 */
export async function unrepairedGapCounts(client: ClientBase | Pool): Promise<Map<string, number>> {
  const { rows } = await client.query<{ origin: string; n: number }>(
    `SELECT r.id AS origin, count(g.origin)::int AS n
     FROM georep.regions r
     LEFT JOIN georep.gaps g ON g.origin = r.id AND g.repaired_at IS NULL
     WHERE r.id IS DISTINCT FROM (SELECT value FROM georep.settings WHERE key = 'region')
     GROUP BY r.id`,
  );
  return new Map(rows.map((r) => [r.origin, r.n]));
}

/** Unrepaired gaps, oldest first. @throws pg's error when the query fails. */
export async function listUnrepairedGaps(client: ClientBase | Pool): Promise<GapRow[]> {
  const { rows } = await client.query<{
    origin: string;
    topic: string;
    partition: number;
    from_offset: string;
    to_offset: string;
    detected_at: Date;
    repaired_at: Date | null;
  }>(
    `SELECT origin, topic, partition, from_offset, to_offset, detected_at, repaired_at
     FROM georep.gaps WHERE repaired_at IS NULL ORDER BY detected_at, topic, partition`,
  );
  return rows.map((r) => ({
    origin: r.origin,
    topic: r.topic,
    partition: r.partition,
    fromOffset: BigInt(r.from_offset),
    toOffset: BigInt(r.to_offset),
    detectedAt: r.detected_at,
    repairedAt: r.repaired_at,
  }));
}

/**
 * Marks `gaps` (listed before a repair from their origins began) as repaired: that repair read the
 * origin's state after their records were written, so it merged every change they carried. A gap
 * found again meanwhile with more missing offsets (a larger to_offset) stays unrepaired. Returns
 * how many were marked.
 * @throws pg's error when the update fails.
 */
export async function markGapsRepaired(
  client: ClientBase | Pool,
  gaps: readonly Gap[],
): Promise<number> {
  if (gaps.length === 0) return 0;
  const { rowCount } = await client.query(
    `UPDATE georep.gaps g SET repaired_at = clock_timestamp()
     FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[]) AS r(topic, partition, from_offset, to_offset)
     WHERE g.repaired_at IS NULL AND (g.topic, g.partition, g.from_offset, g.to_offset)
       = (r.topic, r.partition, r.from_offset, r.to_offset)`,
    [
      gaps.map((g) => g.topic),
      gaps.map((g) => g.partition),
      gaps.map((g) => g.fromOffset.toString()),
      gaps.map((g) => g.toOffset.toString()),
    ],
  );
  return rowCount ?? 0;
}
