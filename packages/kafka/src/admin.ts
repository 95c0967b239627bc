import type { Admin, Kafka } from "kafkajs";
import { backoffDelay } from "@georep/retry";
import type { Backoff } from "@georep/retry";
import { ClusterTooSmallError, checkClusterSize } from "./cluster-size.ts";
import { toKafkaError } from "./errors.ts";
import { checkTopicConfigs } from "./topic-check.ts";
import { raiseMessageLimits } from "./topic-limits.ts";
import { topicConfigEntries } from "./topic-settings.ts";
import type { TopicConfigMismatch, TopicSettings } from "./topic-settings.ts";

const CREATE_ATTEMPTS = 6;
/** Waits between creation attempts: 125-250 ms at first, at most 1.25 s (about 4 s in all). */
const CREATE_BACKOFF: Backoff = { initialMs: 250, maxMs: 1_250 };
/** About 20 s of looking for a new topic's leaders (a loaded broker took seconds). */
const LEADER_ATTEMPTS = 18;

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /**
   * The topic's `max.message.bytes`: set at creation, and raised on an existing topic that has
   * less (the broker's default is 1 MiB). Unset: the broker's default, an existing topic untouched.
   */
  readonly maxMessageBytes?: number;
  /**
   * Retention, cleanup policy, min.insync.replicas and compression (topic-settings.ts): set at
   * creation, and compared with an existing topic's config, which is left as it is.
   */
  readonly settings?: TopicSettings;
}

export interface TopicReport {
  readonly created: readonly string[];
  readonly existing: readonly string[];
  /** Settings of existing topics that differ from their spec's (nothing was changed). */
  readonly mismatches: readonly TopicConfigMismatch[];
}

/** The config entries a topic is created with: its settings and message limit. */
const creationEntries = (t: TopicSpec): Array<{ name: string; value: string }> =>
  t.settings === undefined
    ? t.maxMessageBytes === undefined
      ? []
      : [{ name: "max.message.bytes", value: String(t.maxMessageBytes) }]
    : topicConfigEntries(t.settings, t.maxMessageBytes).map(({ name, value }) => ({ name, value }));

/**
 * Creates the topics that do not exist yet, with their settings, and waits for their partition
 * leaders; a topic that exists is fine (its partition count is left alone, its message limit
 * raised if below `maxMessageBytes`, its other settings compared and reported in `mismatches`,
 * never changed). Safe to call concurrently from several
 * processes: "already exists" from the broker counts as success.
 * @throws ClusterTooSmallError when a replication factor exceeds the cluster's brokers.
 * @throws KafkaError naming the topic when the broker refuses it.
 */
/**
 * Waits until every partition of the topics has a leader in the metadata. Under
 * load a single broker answers a new topic's metadata with UNKNOWN_TOPIC_OR_PARTITION for a
 * while after createTopics returned, and a consumer or producer started then fails with it.
 */
async function awaitLeaders(admin: Admin, created: readonly TopicSpec[]): Promise<void> {
  if (created.length === 0) return;
  const names = created.map((t) => t.topic);
  for (let attempt = 1; ; attempt++) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      const led = topics.every(
        (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
      );
      if (led && topics.length === names.length) return;
      if (attempt >= LEADER_ATTEMPTS)
        throw new Error(`the new topics have no leader yet: ${names.join(", ")}`);
    } catch (error) {
      const retriable = (error as { retriable?: unknown }).retriable === true;
      if (!retriable || attempt >= LEADER_ATTEMPTS) throw error;
    }
    await new Promise((r) => setTimeout(r, backoffDelay(CREATE_BACKOFF, attempt - 1)));
  }
}

export async function ensureTopics(
  kafka: Kafka,
  topics: readonly TopicSpec[],
): Promise<TopicReport> {
  if (topics.length === 0) return { created: [], existing: [], mismatches: [] };
  const admin = kafka.admin();
  try {
    await admin.connect();
    const present = new Set(await admin.listTopics());
    await checkClusterSize(admin, topics, present);
    const missing = topics.filter((t) => !present.has(t.topic));
    let pending = missing;
    // A busy broker answers a creation with a retriable error (e.g. UNKNOWN_TOPIC_OR_PARTITION
    // while leaders are elected) although the topic is on its way: look again, then retry.
    for (let attempt = 1; pending.length > 0; attempt++) {
      try {
        await admin.createTopics({
          topics: pending.map((t) => ({
            topic: t.topic,
            numPartitions: t.partitions,
            replicationFactor: t.replicationFactor,
            configEntries: creationEntries(t),
          })),
          waitForLeaders: true,
        });
        break;
      } catch (error) {
        // Another process may have won the race: only topics that are still missing are errors.
        // When the broker cannot even list them, the creation's own error decides what follows.
        const now = await admin.listTopics().then(
          (names) => new Set(names),
          () => undefined,
        );
        if (now !== undefined) pending = pending.filter((t) => !now.has(t.topic));
        const still = pending[0];
        if (still === undefined) break;
        const retriable = (error as { retriable?: unknown }).retriable === true;
        // The broker's error travels as the cause: its type (e.g. POLICY_VIOLATION) says why.
        if (!retriable || attempt >= CREATE_ATTEMPTS)
          throw toKafkaError(error, { operation: "ensure-topics", topic: still.topic });
        const delay = backoffDelay(CREATE_BACKOFF, attempt - 1);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    // Every topic, not only those created here: a peer may have created one a moment ago.
    await awaitLeaders(admin, topics);
    const existing = topics.filter((t) => present.has(t.topic));
    await raiseMessageLimits(admin, existing);
    // After the raise, so a limit just raised is not reported.
    const mismatches = await checkTopicConfigs(
      admin,
      existing.flatMap((t) =>
        t.settings === undefined
          ? []
          : [{ topic: t.topic, entries: topicConfigEntries(t.settings, t.maxMessageBytes) }],
      ),
    );
    return {
      created: missing.map((t) => t.topic),
      existing: existing.map((t) => t.topic),
      mismatches,
    };
  } catch (error) {
    if (error instanceof ClusterTooSmallError) throw error;
    throw toKafkaError(error, { operation: "ensure-topics" });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
