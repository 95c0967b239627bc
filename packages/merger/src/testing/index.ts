// Test helpers of @georep/merger: read a region's own CRDT state as contract row slices, the way
// a shipper would send them, so tests can drive the real merge without Kafka.
import type { ClientBase } from "pg";
import type { Envelope, RowSlice } from "@georep/contract";
import type { TableSpec } from "@georep/schema";
import { componentColumns, quoteIdent, stateLayout } from "@georep/schema";

export { toStaged as stateRowOfSlice } from "../staging.ts";
export type { StagedRow } from "../staging.ts";

/** Every state row of `origin` in `spec`'s state table, as row slices (values in text form). */
export async function readStateSlices(
  client: ClientBase,
  spec: TableSpec,
  origin: string,
): Promise<RowSlice[]> {
  const layout = stateLayout(spec);
  const q = quoteIdent;
  const comps = componentColumns(layout);
  const cols = [
    ...layout.key.map((k) => `${q(k.name)}::text AS ${q(k.name)}`),
    "zone",
    ...comps.map((c) => `${q(c)}::text AS ${q(c)}`),
    ...layout.registers.flatMap((r) => [q(r.value), `${q(r.stamp)}::text AS ${q(r.stamp)}`]),
    "ins__t::text AS ins__t",
    "del__t::text AS del__t",
    "del__base",
    "born__::text AS born__",
  ];
  const { rows } = await client.query<Record<string, unknown>>(
    `SELECT ${cols.join(", ")} FROM ${layout.stateTable} WHERE origin = $1`,
    [origin],
  );
  const text = (v: unknown): string | null =>
    v === null || v === undefined ? null : typeof v === "string" ? v : JSON.stringify(v);
  return rows.map((row) => ({
    table: `${spec.schema}.${spec.name}`,
    key: Object.fromEntries(layout.key.map((k) => [k.name, text(row[k.name]) ?? ""])),
    zone: text(row["zone"]),
    counters: Object.fromEntries(comps.map((c) => [c, text(row[c]) ?? "0"])),
    registers: Object.fromEntries(
      layout.registers.flatMap((r) => {
        const t = text(row[r.stamp]);
        return t === null ? [] : [[r.column, { v: text(row[r.value]), t }]];
      }),
    ),
    ins: text(row["ins__t"]),
    del: text(row["del__t"]),
    delBase: (row["del__base"] ?? null) as RowSlice["delBase"],
    born: text(row["born__"]) ?? "0",
  }));
}

/** A rows envelope of `origin` carrying `slices` (lsn and commit time are placeholders unless given). */
export function rowsEnvelope(
  origin: string,
  slices: RowSlice[],
  at: { lsn?: string; commitTime?: number } = {},
): Envelope {
  return {
    v: 1,
    kind: "rows",
    origin,
    lsn: at.lsn ?? "0/1",
    commitTime: at.commitTime ?? 0,
    rows: slices,
  };
}
export { createMergerMetrics } from "../metrics.ts";
// The batch processor without Kafka: tests feed it consumed batches (test/hostile).
export { createBatchProcessor } from "../batch.ts";
export type { BatchProcessorDeps } from "../batch.ts";
export { createProgressStore } from "../progress-store.ts";
// One merge worker's batch path, wired as the merger wires it: tests race two for one partition.
export { createMergeWorker } from "../merge-worker.ts";
export type { MergeWorker, MergeWorkerDeps } from "../merge-worker.ts";
export { FENCED_SQLSTATE } from "../sql/progress-fence.ts";
// Recording a gap as the batch processor does (test/merge/gaps.int.test.ts).
export { recordGap } from "../gaps.ts";
export { consumerBacklog } from "../consumer-lag.ts";
// The lag gauges read from georep.progress, without a running merger (test/ops).
export { createHousekeeping, partitionLags } from "../housekeeping.ts";
export { worstPerOrigin } from "../metrics.ts";

// Tombstone collection's parts, for tests that drive it over a simulated network.
export { computeBarrier, UNBOUNDED } from "../collection/barrier.ts";
export type { Barrier, BarrierInput, PartitionBeat } from "../collection/barrier.ts";
export { createCollector } from "../collection/collector.ts";
export type { Collector, CollectorDeps, CollectionPass } from "../collection/collector.ts";
export { createCollectionMetrics } from "../collection/collection-metrics.ts";
export { recordHeartbeat } from "../collection/heartbeat-record.ts";
export { liveRegions } from "../collection/live-regions.ts";
