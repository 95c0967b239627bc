import { MAX_MESSAGE_BYTES, decodeEnvelope, originTopic } from "@georep/contract";
import { incarnationOfReplica } from "@georep/crdt";
import type { KafkaClient } from "@georep/kafka";
import type { Logger } from "@georep/observability";
import { parseLsn } from "@georep/reader";
import type { ShippedMark } from "@georep/reader";

/** How long reading the origin topic's tail may take at start. */
const TAIL_TIMEOUT_MS = 15_000;

/**
 * The newest (incarnation, LSN) this region's origin topic holds, from the last record of each
 * partition (heartbeats reach every partition, so each tail is recent). The reader compares it
 * with its database: a database behind what its region already shipped lost history.
 * A failure to read is logged and leaves the check to the database's own evidence.
 */
export async function readShippedMark(
  kafka: KafkaClient,
  region: string,
  log: Logger,
): Promise<ShippedMark | undefined> {
  const topic = originTopic(region);
  let tail;
  try {
    tail = await kafka.admin.readTail(topic, TAIL_TIMEOUT_MS, {
      maxRecordBytes: MAX_MESSAGE_BYTES,
    });
  } catch (error) {
    log.error(
      { err: error, topic },
      "could not read this region's topic tail; a database that went back in time while keeping its identity and slot would go unnoticed this start",
    );
    return undefined;
  }
  let best: ShippedMark | undefined;
  let bestIncarnation = 0;
  for (const record of tail) {
    const decoded = decodeEnvelope(record.value, {
      maxBytes: MAX_MESSAGE_BYTES,
      knownOrigins: new Set([region]),
    });
    if (!decoded.ok) continue;
    const replica = decoded.envelope.replica ?? region;
    const incarnation = incarnationOfReplica(replica) ?? 0;
    const lsn = parseLsn(decoded.envelope.lsn);
    if (
      best === undefined ||
      incarnation > bestIncarnation ||
      (incarnation === bestIncarnation && lsn > best.lsn)
    ) {
      best = { replica, lsn };
      bestIncarnation = incarnation;
    }
  }
  return best;
}
