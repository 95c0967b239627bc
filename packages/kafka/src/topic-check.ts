import { createRequire } from "node:module";
import type { Admin, ConfigResourceTypes as ResourceTypes } from "kafkajs";
import { compareTopicConfig } from "./topic-settings.ts";
import type { TopicConfigMismatch, WantedConfigEntry } from "./topic-settings.ts";

// kafkajs is CommonJS and this enum is not visible to Node's ES named-export detection.
const { ConfigResourceTypes } = createRequire(import.meta.url)("kafkajs") as {
  ConfigResourceTypes: typeof ResourceTypes;
};

export interface WantedTopicConfig {
  readonly topic: string;
  readonly entries: readonly WantedConfigEntry[];
}

/**
 * Reads the config of existing topics and returns every setting that differs from what georep
 * wants. It changes nothing: an existing topic's retention is the operator's to change, and a
 * silent change could delete records a lagging region still needs.
 * @throws kafkajs' error when the broker cannot describe the topics.
 */
export async function checkTopicConfigs(
  admin: Admin,
  topics: readonly WantedTopicConfig[],
): Promise<TopicConfigMismatch[]> {
  if (topics.length === 0) return [];
  const described = await admin.describeConfigs({
    resources: topics.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.topic })),
    includeSynonyms: false,
  });
  const actual = new Map(
    described.resources.map((r) => [
      r.resourceName,
      new Map(r.configEntries.map((e) => [e.configName, e.configValue])),
    ]),
  );
  return topics.flatMap((t) =>
    compareTopicConfig(t.topic, t.entries, actual.get(t.topic) ?? new Map<string, string>()),
  );
}
