import { createRequire } from "node:module";
import type { Admin, ConfigResourceTypes as ResourceTypes, ConfigSource as Sources } from "kafkajs";
import { backoffDelay } from "@georep/retry";
import type { Backoff } from "@georep/retry";
import { KafkaError } from "./errors.ts";

// kafkajs is CommonJS and these enums are not visible to Node's ES named-export detection.
const { ConfigResourceTypes, ConfigSource } = createRequire(import.meta.url)("kafkajs") as {
  ConfigResourceTypes: typeof ResourceTypes;
  ConfigSource: typeof Sources;
};

/** About 15 s of waiting for a raised limit to show (a loaded broker applied it after the reply). */
const VISIBLE_ATTEMPTS = 15;
const VISIBLE_BACKOFF: Backoff = { initialMs: 200, maxMs: 1_500 };

interface LimitSpec {
  readonly topic: string;
  readonly maxMessageBytes?: number;
}

/**
 * Raises `max.message.bytes` of existing topics that accept less than their spec asks (topics
 * created before georep set a limit keep the broker's 1 MiB). kafkajs only speaks the
 * non-incremental AlterConfigs, which resets every value it is not given: the topic's own
 * values are read first and sent along. A topic already at or above the limit is left alone.
 * Returns once the broker asked reports every raised limit (or after about 15 s, then the
 * settings check reports what is still low): KRaft applies a config change after answering, and
 * the settings check that follows, or a producer's large record, would otherwise meet the old
 * limit. On a multi-broker cluster only the broker asked is seen.
 * @throws KafkaError naming the topic, its limit and the command that raises it by hand.
 */
export async function raiseMessageLimits(
  admin: Admin,
  topics: readonly LimitSpec[],
): Promise<void> {
  const wanted = new Map<string, number>();
  for (const t of topics)
    if (t.maxMessageBytes !== undefined) wanted.set(t.topic, t.maxMessageBytes);
  if (wanted.size === 0) return;
  const raised = await raiseBelow(admin, wanted);
  for (let attempt = 1; raised.size > 0 && attempt <= VISIBLE_ATTEMPTS; attempt++) {
    await new Promise((r) => setTimeout(r, backoffDelay(VISIBLE_BACKOFF, attempt - 1)));
    // The raise itself succeeded: a describe that fails now is only a look missed.
    const limits = await describeLimits(admin, [...raised.keys()]).catch(() => undefined);
    for (const [topic, want] of raised) if ((limits?.get(topic) ?? 0) >= want) raised.delete(topic);
  }
}

async function describeLimits(admin: Admin, names: readonly string[]) {
  const described = await admin.describeConfigs({
    resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    includeSynonyms: false,
  });
  return new Map(
    described.resources.map((r) => [
      r.resourceName,
      Number(r.configEntries.find((e) => e.configName === "max.message.bytes")?.configValue),
    ]),
  );
}

/** Raises the topics below their wanted limit; returns those it raised, with their limit. */
async function raiseBelow(admin: Admin, wanted: ReadonlyMap<string, number>) {
  const raised = new Map<string, number>();
  const described = await admin.describeConfigs({
    resources: [...wanted.keys()].map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    includeSynonyms: false,
  });
  for (const resource of described.resources) {
    const want = wanted.get(resource.resourceName);
    if (want === undefined) continue;
    const current = resource.configEntries.find((e) => e.configName === "max.message.bytes");
    const have = Number(current?.configValue);
    if (Number.isFinite(have) && have >= want) continue;
    const own = resource.configEntries
      // Values set on the topic itself; broker-wide values are not the topic's to resend.
      .filter(
        (e) => e.configSource === ConfigSource.TOPIC_CONFIG && e.configName !== "max.message.bytes",
      )
      .map((e) => ({ name: e.configName, value: e.configValue }));
    try {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: resource.resourceName,
            configEntries: [...own, { name: "max.message.bytes", value: String(want) }],
          },
        ],
      });
    } catch (error) {
      throw new KafkaError(
        `topic ${resource.resourceName} accepts messages up to ${String(current?.configValue)} bytes (max.message.bytes) and georep needs ${want}; raising it failed. Raise it by hand: kafka-configs.sh --alter --entity-type topics --entity-name ${resource.resourceName} --add-config max.message.bytes=${want}`,
        {
          cause: error,
          retriable: false,
          context: { operation: "ensure-topics", topic: resource.resourceName },
        },
      );
    }
    raised.set(resource.resourceName, want);
  }
  return raised;
}
