import { z } from "zod";
import { regionIdSchema, zoneIdSchema } from "@georep/contract";
import { minInsyncProblem, topicSettingsSchema } from "@georep/kafka";
import { CaptureConfigError } from "./errors.ts";

const ms = (min: number, max: number) => z.number().int().min(min).max(max);

/** Tuning of the capture pipeline; every field has a default. */
export const captureTuningSchema = z
  .object({
    /** Coalescing/flush window. */
    lingerMs: ms(1, 10_000).default(20),
    /** Cut the window early at this many distinct rows (the socket pauses at 4x while Kafka is behind). */
    maxBatchRows: z.number().int().min(1).max(1_000_000).default(20_000),
    /** Batches queued or in flight to Kafka before the reader stops pulling. */
    maxInFlightBatches: z.number().int().min(1).max(1_000).default(4),
    /** Records per producer send (several reader batches are merged up to this). */
    maxBatchMessages: z.number().int().min(1).max(100_000).default(2_000),
    maxMessageBytes: z
      .number()
      .int()
      .min(4_096)
      .max(900 * 1024)
      .default(512 * 1024),
    heartbeatIntervalMs: ms(100, 600_000).default(5_000),
    statusIntervalMs: ms(100, 60_000).default(1_000),
    resyncBatchRows: z.number().int().min(1).max(100_000).default(5_000),
    /**
     * With awaitReportedProgress: how long a new incarnation waits at most for the database to
     * apply what its region last reported before it starts anyway (an error is logged). Within a
     * region's RTO: an origin whose cluster is down, or a Kafka gap only repair closes, can keep
     * the wait from ending (docs/data-model.md, "A region that loses history").
     */
    reportedWaitMs: ms(0, 3_600_000).default(240_000),
    backoffInitialMs: ms(10, 60_000).default(200),
    backoffMaxMs: ms(10, 600_000).default(5_000),
    compression: z.enum(["none", "gzip"]).default("gzip"),
  })
  .strict()
  .refine((t) => t.backoffInitialMs <= t.backoffMaxMs, {
    message:
      "backoffInitialMs must not exceed backoffMaxMs; lower backoffInitialMs or raise backoffMaxMs",
    path: ["backoffInitialMs"],
  })
  .refine((t) => t.statusIntervalMs < 60_000 && t.statusIntervalMs <= t.heartbeatIntervalMs * 10, {
    message:
      "statusIntervalMs must be below PostgreSQL's wal_sender_timeout (60 s) and at most 10x heartbeatIntervalMs",
    path: ["statusIntervalMs"],
  });

export const captureConfigSchema = z
  .object({
    region: regionIdSchema,
    pgUrl: z.string().regex(/^postgres(ql)?:\/\//, {
      message: "pgUrl must be a postgres:// URL of the region's database",
    }),
    /** The password of pgUrl's user (a secret: never logged). */
    pgPassword: z.string().optional(),
    slotName: z.string().regex(/^[a-z0-9_]{1,63}$/, {
      message:
        "slotName must be 1-63 lowercase letters, digits or '_' (a PostgreSQL replication slot name)",
    }),
    kafka: z.object({
      brokers: z
        .array(z.string().regex(/^[^:\s]+:\d+$/, { message: "a broker is host:port" }))
        .min(1),
      clientId: z.string().min(1).default("georep-capture"),
    }),
    partitions: z.number().int().min(1).max(1_000).default(6),
    replicationFactor: z.number().int().min(1).max(10).default(1),
    /** Retention and min.insync.replicas of the region's topics (created, or checked at start). */
    topic: topicSettingsSchema.prefault({}),
    /** Residency zones whose topics are created up front (unseen zones are created on first use). */
    zones: z.array(zoneIdSchema).default([]),
    options: captureTuningSchema.default(captureTuningSchema.parse({})),
  })
  .strict();

export type CaptureConfigInput = z.input<typeof captureConfigSchema>;
export type CaptureConfig = z.output<typeof captureConfigSchema>;

/** @throws CaptureConfigError naming the first invalid field. */
export function parseCaptureConfig(input: unknown): CaptureConfig {
  const result = captureConfigSchema.safeParse(input);
  if (result.success) {
    // Checked here, not as a refinement: slot-metrics.ts picks fields of the plain object schema.
    const problem = minInsyncProblem(result.data.topic, result.data.replicationFactor);
    if (problem !== undefined)
      throw new CaptureConfigError(
        `capture config: topic.minInsyncReplicas: ${problem}`,
        "topic.minInsyncReplicas",
      );
    return result.data;
  }
  const issue = result.error.issues[0];
  const field = issue?.path.join(".") ?? "(root)";
  throw new CaptureConfigError(`capture config: ${field}: ${issue?.message ?? "invalid"}`, field);
}
