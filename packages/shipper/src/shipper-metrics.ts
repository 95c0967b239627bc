import type { Metrics } from "@georep/observability";

export function shipperMetrics(metrics: Metrics) {
  return {
    messages: metrics.counter(
      "georep_shipper_messages_total",
      "Kafka messages acknowledged (acks=all)",
    ),
    failures: metrics.counter(
      "georep_shipper_send_failures_total",
      "Kafka sends that failed and were retried",
    ),
    refused: metrics.counter(
      "georep_shipper_refused_sends_total",
      "Kafka sends refused for a reason retrying cannot fix (e.g. a record too large); capture waits",
    ),
    inFlight: metrics.gauge(
      "georep_shipper_inflight_batches",
      "Reader batches queued or in flight",
    ),
    sendSeconds: metrics.histogram(
      "georep_shipper_send_seconds",
      "Duration of one acks=all send",
      [],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ),
  };
}
