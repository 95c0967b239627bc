import type { Pool } from "pg";
import { partitionId } from "@georep/kafka";
import type { TopicPartition } from "@georep/kafka";
import { READ_PROGRESS_SQL } from "./sql/progress.ts";

/** One partition's row of georep.progress: what the region has applied from it. */
export interface AppliedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly origin: string;
  /** Last applied offset. */
  readonly offset: bigint;
  /** Newest applied source commit time, epoch ms (null when only dead letters were seen). */
  readonly commitTime: number | null;
}

/**
 * What the database says has been applied. The next offset per partition is mirrored in memory
 * (the database is the source of truth; Kafka's committed offsets are an optimisation); lag is
 * read from the database itself (readApplied), because the region's other merge workers advance
 * the partitions this one does not hold.
 */
export interface ProgressStore {
  /** Reloads the given partitions from georep.progress; returns their next offsets. */
  load(partitions: readonly TopicPartition[]): Promise<Map<string, bigint>>;
  nextOffset(topic: string, partition: number): bigint | undefined;
  /**
   * Records what a committed transaction applied. Its origin and commit time went to
   * georep.progress in that transaction; only the offset is mirrored here.
   */
  advance(
    topic: string,
    partition: number,
    origin: string,
    lastOffset: bigint,
    commitTime: number | null,
  ): void;
  /** Every partition of this merger's topics that has a progress row, whoever applied it. */
  readApplied(): Promise<AppliedPartition[]>;
}

/** The progress rows of `topics`. @throws pg's error when the query fails. */
export async function readAppliedProgress(
  pool: Pool,
  topics: readonly string[],
): Promise<AppliedPartition[]> {
  const { rows } = await pool.query<{
    topic: string;
    partition: number;
    origin: string;
    kafka_offset: string;
    commit_ms: string | null;
  }>(READ_PROGRESS_SQL, [[...topics]]);
  return rows.map((row) => ({
    topic: row.topic,
    partition: row.partition,
    origin: row.origin,
    offset: BigInt(row.kafka_offset),
    commitTime: row.commit_ms === null ? null : Number(row.commit_ms),
  }));
}

export function createProgressStore(pool: Pool, topics: readonly string[]): ProgressStore {
  const next = new Map<string, bigint>();
  return {
    async load(partitions) {
      const wanted = new Set(partitions.map((p) => partitionId(p.topic, p.partition)));
      const found = new Map<string, bigint>();
      for (const row of await readAppliedProgress(pool, topics)) {
        const id = partitionId(row.topic, row.partition);
        if (!wanted.has(id)) continue;
        next.set(id, row.offset + 1n);
        found.set(id, row.offset + 1n);
      }
      for (const id of wanted) if (!found.has(id)) next.delete(id);
      return found;
    },
    nextOffset: (topic, partition) => next.get(partitionId(topic, partition)),
    advance(topic, partition, _origin, lastOffset) {
      next.set(partitionId(topic, partition), lastOffset + 1n);
    },
    readApplied: () => readAppliedProgress(pool, topics),
  };
}
