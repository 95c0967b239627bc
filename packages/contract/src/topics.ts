/**
 * Topic names. Each origin region writes its own topic, plus one per residency zone for rows
 * homed in that zone, so a zone's rows physically never reach a consumer outside the zone.
 */
export function originTopic(origin: string): string {
  return `georep.${origin}`;
}

export function zoneTopic(origin: string, zone: string): string {
  return `georep.${origin}.zone.${zone}`;
}

export function deadLetterTopic(region: string): string {
  return `georep.dlq.${region}`;
}

/** The topic a row slice of `origin` goes to. */
export function topicForRow(origin: string, zone: string | null): string {
  return zone === null ? originTopic(origin) : zoneTopic(origin, zone);
}

/** Stable text key of a row, used for partitioning and coalescing. */
export function rowKey(
  table: string,
  key: Readonly<Record<string, string>>,
  keyOrder: readonly string[],
): string {
  return `${table}|${JSON.stringify(keyOrder.map((k) => key[k] ?? null))}`;
}

/** FNV-1a over UTF-16 code units: deterministic across processes, so a key always lands on one partition. */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
