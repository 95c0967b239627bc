import { MAX_MESSAGE_BYTES, decodeEnvelope, originTopic } from "@georep/contract";
import type { KafkaClient } from "@georep/kafka";
import type { Logger } from "@georep/observability";

/** How long reading the origin topic's tail may take. */
const TAIL_TIMEOUT_MS = 30_000;
/**
 * Records read back per partition. Heartbeats reach every partition every heartbeatIntervalMs
 * (5 s), and a partition gets at most one record per shipped batch (a batch every linger, 20 ms):
 * 512 reach back past the last heartbeat at any rate the shipper sends.
 */
export const REPORT_DEPTH = 512;

/**
 * What this region's heartbeats last reported as applied, per other origin (the greatest value
 * among the heartbeats in its topic's tail: a region's reports only grow). Peers may have
 * collected tombstones on the strength of it, so a database of this region that went back in
 * time must apply as much before it writes (docs/data-model.md, "A region that loses history").
 * Undefined when the tail holds no heartbeat with progress (nothing reported, or only older
 * versions' heartbeats).
 * @throws KafkaError when the topic cannot be read: the caller retries.
 */
export async function readReportedProgress(
  kafka: KafkaClient,
  region: string,
  log: Logger,
): Promise<ReadonlyMap<string, bigint> | undefined> {
  const topic = originTopic(region);
  const tail = await kafka.admin.readTail(topic, TAIL_TIMEOUT_MS, {
    maxRecordBytes: MAX_MESSAGE_BYTES,
    depth: REPORT_DEPTH,
  });
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
  if (reported === undefined && tail.length > 0)
    log.warn(
      { topic, records: tail.length },
      "no heartbeat with progress in this region's topic tail: nothing to wait for before a new incarnation",
    );
  return reported;
}
