import type { Logger, Metrics } from "@georep/observability";
import type { TopicReport } from "./admin.ts";

/**
 * Logs every setting of an ensured topic that differs from georep's (docs/operate.md, Topic
 * settings) and sets `georep_topic_config_mismatches{topic}`: the number of such settings, 0 for
 * topics that match, so an alert sees the series from the start.
 */
export function reportTopicConfig(report: TopicReport, logger: Logger, metrics: Metrics): void {
  const gauge = metrics.gauge(
    "georep_topic_config_mismatches",
    "Settings of a georep topic that differ from the configured ones (retention.ms, cleanup.policy, min.insync.replicas, compression.type, max.message.bytes), checked at start",
    ["topic"],
  );
  const counts = new Map<string, number>();
  for (const topic of [...report.created, ...report.existing]) counts.set(topic, 0);
  for (const m of report.mismatches) {
    counts.set(m.topic, (counts.get(m.topic) ?? 0) + 1);
    logger.warn(
      { topic: m.topic, setting: m.setting, actual: m.actual ?? null, wanted: m.wanted },
      `topic ${m.topic} has ${m.setting}=${m.actual ?? "(unset)"}, georep wants ${m.wanted}; it is left as it is: change it with kafka-configs.sh --alter --entity-type topics --entity-name ${m.topic} --add-config ${m.setting}=${m.wanted}, or (retention.ms, min.insync.replicas) set the replicator config's kafka.topic to match`,
    );
  }
  for (const [topic, n] of counts) gauge.set({ topic }, n);
}
