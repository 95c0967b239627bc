import type { ProducerRecord } from "./producer-record.ts";

/** Bytes a record adds to its batch besides its value (length, offset and timestamp deltas, key, headers). */
const RECORD_OVERHEAD = 64;

/**
 * Splits records into requests where no (topic, partition) carries more than `limit` bytes.
 * Each partition fills its own run of requests: the i-th request takes the i-th slice of every
 * partition, so a send needs as many requests as its largest partition, not the sum of all.
 * Order within a partition is kept (requests are sent one after another); Kafka orders nothing
 * across partitions.
 */
export function splitByPartitionBytes(
  records: readonly ProducerRecord[],
  limit: number,
): ProducerRecord[][] {
  const chunks: ProducerRecord[][] = [];
  const fill = new Map<string, { chunk: number; bytes: number }>();
  for (const r of records) {
    const id = `${r.topic}\u0000${r.partition}`;
    const size = r.value.length + RECORD_OVERHEAD;
    let at = fill.get(id);
    if (at === undefined) {
      at = { chunk: 0, bytes: 0 };
      fill.set(id, at);
    } else if (at.bytes + size > limit) {
      at.chunk += 1;
      at.bytes = 0;
    }
    at.bytes += size;
    (chunks[at.chunk] ??= []).push(r);
  }
  return chunks;
}
