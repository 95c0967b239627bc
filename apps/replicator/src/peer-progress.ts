import type pg from "pg";
import { originTopic, zoneTopic } from "@georep/contract";
import type { KafkaClient } from "@georep/kafka";

/** End offsets of the topics a region ships to, taken at one moment. */
export type TopicEnds = ReadonlyMap<string, ReadonlyMap<number, bigint>>;

/** The region's origin topic and its zone topics, with their end offsets now. */
export async function shippedTopicEnds(
  kafka: KafkaClient,
  region: string,
  zones: readonly string[],
): Promise<TopicEnds> {
  const topics = [originTopic(region), ...zones.map((z) => zoneTopic(region, z))];
  return new Map(
    await Promise.all(topics.map(async (t) => [t, await kafka.admin.topicEnds(t)] as const)),
  );
}

/**
 * How many partitions of `region`'s topics a peer has not applied up to `ends` yet (the peer
 * consumes the origin topic, and the zone topic of its own zone). Its progress table is written
 * in the same transaction as its merges, so once this is 0 the peer holds everything the region
 * had shipped when `ends` were taken, and a repair from it brings all of it back.
 */
export async function partitionsBehind(
  peer: pg.Pool,
  region: string,
  peerZone: string | undefined,
  ends: TopicEnds,
): Promise<number> {
  const topics = [
    originTopic(region),
    ...(peerZone === undefined ? [] : [zoneTopic(region, peerZone)]),
  ];
  const { rows } = await peer.query<{ topic: string; partition: number; next: string }>(
    "SELECT topic, partition, (kafka_offset + 1)::text AS next FROM georep.progress WHERE topic = ANY($1)",
    [topics],
  );
  const applied = new Map(rows.map((r) => [`${r.topic}:${r.partition}`, BigInt(r.next)]));
  let behind = 0;
  for (const topic of topics)
    for (const [partition, end] of ends.get(topic) ?? new Map<number, bigint>())
      if (end > 0n && (applied.get(`${topic}:${partition}`) ?? 0n) < end) behind += 1;
  return behind;
}
