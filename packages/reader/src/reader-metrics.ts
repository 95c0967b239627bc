import type { Metrics } from "@georep/observability";

export function readerMetrics(metrics: Metrics) {
  return {
    changes: metrics.counter(
      "georep_reader_changes_total",
      "Own-state WAL changes folded into shipped batches",
    ),
    rows: metrics.counter("georep_reader_rows_total", "Coalesced row slices handed to the shipper"),
    restarts: metrics.counter(
      "georep_reader_restarts_total",
      "Replication sessions restarted from the durable LSN",
    ),
    resyncs: metrics.counter(
      "georep_reader_resyncs_total",
      "Full own-state re-emits (new or invalidated slot)",
    ),
    durable: metrics.gauge(
      "georep_reader_durable_lsn",
      "Durable (Kafka-acknowledged) LSN, as a number",
    ),
    received: metrics.gauge(
      "georep_reader_received_lsn",
      "Newest LSN received from the slot, as a number",
    ),
  };
}
