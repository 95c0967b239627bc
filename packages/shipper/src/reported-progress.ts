import { MAX_MESSAGE_BYTES, decodeEnvelope, originTopic } from "@georep/contract";
import type { KafkaClient, TailRecord } from "@georep/kafka";

/** How long each read of the origin topic's tail may take. */
const TAIL_TIMEOUT_MS = 30_000;
/**
 * Records read back per partition, tried in turn until a heartbeat with progress turns up.
 * Heartbeats reach every partition every heartbeatIntervalMs (5 s); a burst of large batches or
 * an own-state emit (every state row, no heartbeat between) can put many records after the last.
 */
export const REPORT_DEPTHS = [512, 16_384] as const;
// Rows envelopes start so (route.ts writes `kind` first): dropped unread, so a deep read holds
// only heartbeats in memory. Anything else is decoded.
const ROWS_PREFIX = Buffer.from('{"kind":"rows"');

/**
 * What this region's heartbeats last reported as applied, per other origin (the greatest value
 * among the heartbeats in its topic's tail: a region's reports only grow). Peers may have
 * collected tombstones on the strength of it, so a database of this region that went back in
 * time must apply as much before it writes (docs/data-model.md, "A region that loses history").
 * `"none"` when the tail holds no heartbeat with progress within the deepest read (nothing
 * reported, only older versions' heartbeats, or more records since the last one than it reads).
 * @throws KafkaError when the topic cannot be read.
 */
export async function readReportedProgress(
  kafka: KafkaClient,
  region: string,
): Promise<ReadonlyMap<string, bigint> | "none"> {
  const topic = originTopic(region);
  for (const depth of REPORT_DEPTHS) {
    const tail = await kafka.admin.readTail(topic, TAIL_TIMEOUT_MS, {
      maxRecordBytes: MAX_MESSAGE_BYTES,
      depth,
      keep: (value) => value !== null && !value.subarray(0, ROWS_PREFIX.length).equals(ROWS_PREFIX),
    });
    const reported = greatestReported(tail, region);
    if (reported !== undefined) return reported;
  }
  return "none";
}

function greatestReported(
  tail: readonly TailRecord[],
  region: string,
): Map<string, bigint> | undefined {
  let reported: Map<string, bigint> | undefined;
  for (const record of tail) {
    const decoded = decodeEnvelope(record.value, {
      maxBytes: MAX_MESSAGE_BYTES,
      knownOrigins: new Set([region]),
    });
    if (!decoded.ok || decoded.envelope.kind !== "heartbeat") continue;
    const progress = decoded.envelope.progress;
    if (progress === undefined) continue;
    reported ??= new Map();
    for (const [origin, stamp] of Object.entries(progress.applied)) {
      const value = BigInt(stamp);
      if (value > (reported.get(origin) ?? -1n)) reported.set(origin, value);
    }
  }
  return reported;
}
