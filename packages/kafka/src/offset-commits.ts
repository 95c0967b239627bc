import type { EachBatchPayload } from "kafkajs";
import type { Logger } from "@georep/observability";

const COMMIT_EVERY_MS = 1000;

export interface OffsetCommits {
  /** Records `next` as the partition's next offset; at most once a second, commits every partition's in ONE request. */
  consumed(payload: EachBatchPayload, next: bigint): Promise<void>;
  /** Forgets pending offsets (after a rebalance the new assignment's positions come from the durable store). */
  reset(): void;
}

/**
 * The caller's durable store is the source of truth for positions; Kafka's committed offsets only
 * save re-reading after a rebalance. So they are committed at most once a second for all
 * partitions together, one broker round trip, instead of one per partition on batches' paths.
 */
export function createOffsetCommits(log: Logger): OffsetCommits {
  const pending = new Map<string, { topic: string; partition: number; offset: string }>();
  let last = 0;
  return {
    async consumed(payload, next) {
      const { topic, partition } = payload.batch;
      pending.set(`${topic}:${partition}`, { topic, partition, offset: next.toString() });
      const now = Date.now();
      if (now - last < COMMIT_EVERY_MS) return;
      last = now;
      const entries = [...pending.values()];
      pending.clear();
      const topics = [...new Set(entries.map((e) => e.topic))].map((t) => ({
        topic: t,
        partitions: entries
          .filter((e) => e.topic === t)
          .map((e) => ({ partition: e.partition, offset: e.offset })),
      }));
      try {
        await payload.commitOffsetsIfNecessary({ topics });
      } catch (error) {
        // Harmless: the durable store already holds the progress; the next commit catches up.
        log.warn({ err: error, partitions: entries.length }, "committing kafka offsets failed");
        for (const e of entries) {
          const id = `${e.topic}:${e.partition}`;
          if (!pending.has(id)) pending.set(id, e);
        }
      }
    },
    reset() {
      pending.clear();
    },
  };
}
