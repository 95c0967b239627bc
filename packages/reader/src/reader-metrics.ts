import type { Metrics } from "@georep/observability";

/** A gauge the reader sets with a position (an LSN as a number). */
export interface PositionGauge {
  set(value: number): void;
}

export function readerMetrics(metrics: Metrics) {
  const durable = metrics.gauge(
    "georep_reader_durable_lsn",
    "Durable (Kafka-acknowledged) LSN, as a number",
  );
  const received = metrics.gauge(
    "georep_reader_received_lsn",
    "Newest LSN received from the slot, as a number",
  );
  const unshipped = metrics.gauge(
    "georep_reader_unshipped_wal_bytes",
    "WAL received from the slot and not yet acknowledged by Kafka: received minus durable LSN",
  );
  // Both positions are set at different moments (received on keepalives, durable when Kafka
  // acknowledges a batch): each update recomputes the difference from the latest of both.
  const at = { received: 0, durable: 0 };
  const position = (name: keyof typeof at, gauge: PositionGauge): PositionGauge => ({
    set(value) {
      at[name] = value;
      gauge.set(value);
      unshipped.set(Math.max(0, at.received - at.durable));
    },
  });
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
    waitingForReported: metrics.gauge(
      "georep_reader_waiting_for_reported",
      '1 while a new incarnation waits until this database has applied what the region last reported (docs/data-model.md, "A region that loses history")',
    ),
    durable: position("durable", durable),
    received: position("received", received),
  };
}
