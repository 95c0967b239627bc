// The slot gauges (georep_slot_*) for the process that runs the capture, with its options checked
// here, at the edge, as the capture's own are.
import { z } from "zod";
import type { Logger, Metrics } from "@georep/observability";
import { startSlotMetrics as startReading } from "@georep/reader";
import type { SlotMetrics } from "@georep/reader";
import { CaptureConfigError } from "./errors.ts";
import { captureConfigSchema } from "./options.ts";

export type { SlotMetrics } from "@georep/reader";

const slotMetricsSchema = captureConfigSchema
  .pick({ pgUrl: true, pgPassword: true, slotName: true })
  .extend({
    /** How often pg_replication_slots is read. */
    intervalMs: z.number().int().min(1_000).max(600_000).default(10_000),
  })
  .strict();

export type SlotMetricsConfig = z.input<typeof slotMetricsSchema> & {
  readonly metrics: Metrics;
  readonly logger: Logger;
};

/**
 * Reads the slot now and every intervalMs into georep_slot_retained_wal_bytes,
 * georep_slot_wal_status{status}, georep_slot_active and georep_slot_max_wal_keep_bytes.
 * @throws CaptureConfigError naming the invalid field.
 */
export function startSlotMetrics(config: SlotMetricsConfig): SlotMetrics {
  const { metrics, logger, ...raw } = config;
  const parsed = slotMetricsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") ?? "(root)";
    throw new CaptureConfigError(`slot metrics: ${field}: ${issue?.message ?? "invalid"}`, field);
  }
  return startReading({ ...parsed.data, metrics, logger });
}
