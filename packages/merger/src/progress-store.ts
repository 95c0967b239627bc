import type { Pool } from "pg";
import { partitionId } from "@georep/kafka";
import type { TopicPartition } from "@georep/kafka";
import { READ_PROGRESS_SQL } from "./sql/progress.ts";

/**
 * What the database says has been applied, mirrored in memory: the next offset per partition
 * (the database is the source of truth; Kafka's committed offsets are an optimisation) and the
 * latest source commit time per origin (replication lag = now − that time).
 */
export interface ProgressStore {
  /** Reloads the given partitions from georep.progress; returns their next offsets. */
  load(partitions: readonly TopicPartition[]): Promise<Map<string, bigint>>;
  nextOffset(topic: string, partition: number): bigint | undefined;
  /** Records what a committed transaction applied. */
  advance(
    topic: string,
    partition: number,
    origin: string,
    lastOffset: bigint,
    commitTime: number | null,
  ): void;
  latestCommitTimes(): ReadonlyMap<string, number>;
}

export function createProgressStore(pool: Pool, topics: readonly string[]): ProgressStore {
  const next = new Map<string, bigint>();
  const commits = new Map<string, number>();
  const seeCommit = (origin: string, time: number | null): void => {
    if (time !== null && time > (commits.get(origin) ?? -1)) commits.set(origin, time);
  };
  return {
    async load(partitions) {
      const wanted = new Set(partitions.map((p) => partitionId(p.topic, p.partition)));
      const { rows } = await pool.query<{
        topic: string;
        partition: number;
        origin: string;
        kafka_offset: string;
        commit_ms: string | null;
      }>(READ_PROGRESS_SQL, [[...topics]]);
      const found = new Map<string, bigint>();
      for (const row of rows) {
        seeCommit(row.origin, row.commit_ms === null ? null : Number(row.commit_ms));
        const id = partitionId(row.topic, row.partition);
        if (!wanted.has(id)) continue;
        const offset = BigInt(row.kafka_offset) + 1n;
        next.set(id, offset);
        found.set(id, offset);
      }
      for (const id of wanted) if (!found.has(id)) next.delete(id);
      return found;
    },
    nextOffset: (topic, partition) => next.get(partitionId(topic, partition)),
    advance(topic, partition, origin, lastOffset, commitTime) {
      next.set(partitionId(topic, partition), lastOffset + 1n);
      seeCommit(origin, commitTime);
    },
    latestCommitTimes: () => commits,
  };
}
