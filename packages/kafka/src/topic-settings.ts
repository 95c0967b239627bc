import { z } from "zod";

/** Kafka's own default retention, kept as georep's: it is what every existing topic already has. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The settings of georep's topics that an operator chooses (the replicator config's
 * `kafka.topic`). Retention must cover the longest time a region may stop consuming: records
 * deleted before a region read them are a gap that only repair brings back (docs/operate.md).
 */
export const topicSettingsSchema = z
  .object({
    /** `retention.ms`; -1 keeps records for ever. */
    retentionMs: z
      .number()
      .int()
      .refine((v) => v === -1 || v >= 60_000, {
        message:
          "must be at least 60000 (1 minute), or -1 to keep records for ever; size it to cover the longest outage of a region (docs/operate.md, Retention)",
      })
      .default(DEFAULT_RETENTION_MS),
    /**
     * `min.insync.replicas`. The shipper sends with acks=all, so a send is refused while fewer
     * replicas are in sync; it must not exceed the replication factor.
     */
    minInsyncReplicas: z
      .number()
      .int()
      .min(1, { message: "must be at least 1" })
      .max(7, { message: "must be at most 7 (the largest replicationFactor georep accepts)" })
      .default(1),
  })
  .strict();

export type TopicSettings = z.output<typeof topicSettingsSchema>;
export type TopicSettingsInput = z.input<typeof topicSettingsSchema>;

/**
 * The cross-field rule between the settings and the topics' replication factor, for the configs
 * that hold both. Returns the problem and its fix, or undefined when they fit.
 */
export function minInsyncProblem(
  settings: TopicSettings,
  replicationFactor: number,
): string | undefined {
  if (settings.minInsyncReplicas <= replicationFactor) return undefined;
  return `minInsyncReplicas (${settings.minInsyncReplicas}) must not exceed replicationFactor (${replicationFactor}): every acks=all send would be refused (NOT_ENOUGH_REPLICAS); lower minInsyncReplicas or raise replicationFactor`;
}

/** One topic config entry georep wants; `atLeast` entries may be higher than `value`. */
export interface WantedConfigEntry {
  readonly name: string;
  readonly value: string;
  readonly atLeast?: boolean;
}

/**
 * The config entries a georep topic is created with and checked against. `cleanup.policy=delete`:
 * a compacted topic would keep one record per key and drop the rest, and offsets would then skip
 * without anything being lost by retention (the gap detection assumes they do not).
 * `compression.type=producer`: the broker stores what the shipper chose (small requests
 * uncompressed, docs/decisions.md) instead of recompressing.
 */
export function topicConfigEntries(
  settings: TopicSettings,
  maxMessageBytes?: number,
): WantedConfigEntry[] {
  return [
    { name: "retention.ms", value: String(settings.retentionMs) },
    { name: "cleanup.policy", value: "delete" },
    { name: "min.insync.replicas", value: String(settings.minInsyncReplicas) },
    { name: "compression.type", value: "producer" },
    ...(maxMessageBytes === undefined
      ? []
      : [{ name: "max.message.bytes", value: String(maxMessageBytes), atLeast: true }]),
  ];
}

/** A setting of an existing topic that differs from what georep wants. */
export interface TopicConfigMismatch {
  readonly topic: string;
  readonly setting: string;
  /** undefined when the broker did not report the setting at all. */
  readonly actual: string | undefined;
  readonly wanted: string;
}

/**
 * Every wanted entry the topic's actual config does not satisfy (an `atLeast` entry is satisfied
 * by any value at or above it). Pure.
 */
export function compareTopicConfig(
  topic: string,
  wanted: readonly WantedConfigEntry[],
  actual: ReadonlyMap<string, string>,
): TopicConfigMismatch[] {
  const mismatches: TopicConfigMismatch[] = [];
  for (const w of wanted) {
    const have = actual.get(w.name);
    const ok =
      have !== undefined &&
      (w.atLeast === true ? Number(have) >= Number(w.value) : have === w.value);
    if (!ok) mismatches.push({ topic, setting: w.name, actual: have, wanted: w.value });
  }
  return mismatches;
}
