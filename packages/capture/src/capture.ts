// The capture pipeline of one region: reader ──batches──▶ shipper ──acks=all──▶ Kafka.
//
//   created ──start()──▶ starting (topics) ──▶ running ──stop()──▶ stopping (flush, wait for
//   Kafka, ack the durable LSN, close) ──▶ stopped
import { setTimeout as delay } from "node:timers/promises";
import { createKafka, isRetriable } from "@georep/kafka";
import type { KafkaClient, KafkaError, KafkaSecurity } from "@georep/kafka";
import type { EnvelopeSigner } from "@georep/contract";
import type { Logger, Metrics, WallClock } from "@georep/observability";
import { createReader } from "@georep/reader";
import type { CaptureBatch, CaptureSink, ReaderStatus, ShippedMark } from "@georep/reader";
import type { TableSpec } from "@georep/schema";
import { createShipper, readReportedProgress, readShippedMark } from "@georep/shipper";
import type { ShipperStatus } from "@georep/shipper";
import { parseCaptureConfig } from "./options.ts";
import type { CaptureConfigInput } from "./options.ts";

export interface CaptureDeps {
  readonly tables: readonly TableSpec[];
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: WallClock;
  /** Gate for every slot confirmation: the replicator's "still the active one" (see the reader). */
  readonly beforeConfirm?: () => Promise<void>;
  /** Injected for tests; default: createKafka from the config's brokers. */
  readonly kafkaClient?: KafkaClient;
  /** Signs every shipped record (docs/security.md, "Envelope signing"); absent: unsigned. */
  readonly signer?: EnvelopeSigner | undefined;
  /** SASL_SSL to the brokers (resolved secrets: never logged); absent: plaintext. */
  readonly kafkaSecurity?: KafkaSecurity | undefined;
  /**
   * Set: start() waits for an unreachable cluster instead of failing, calling this after every
   * attempt that found it down and trying again KAFKA_RETRY_MS later (an attempt itself runs
   * kafkajs' retries, tens of seconds), until it answers or stop() is called. The slot is not
   * read meanwhile, so it keeps the WAL. Absent: start() fails with the KafkaError.
   */
  readonly onKafkaWait?: ((error: KafkaError) => void) | undefined;
  /**
   * Set where regions collect tombstones: a new incarnation (the database went back in time)
   * waits until this database has applied what the region's heartbeats last reported, read from
   * its topic (docs/data-model.md, "A region that loses history").
   */
  readonly awaitReportedProgress?: boolean | undefined;
}

/** How often a start waiting for the cluster tries again (as the merger retries a source cluster). */
const KAFKA_RETRY_MS = 5_000;

export type CaptureStatus = ReaderStatus & ShipperStatus;

export interface Capture {
  /**
   * Resolves once streaming, or at once after stop() (when it waited for the cluster).
   * @throws KafkaError when the topics cannot be created (and, with `onKafkaWait`, when that is
   * not because the cluster is unreachable). Replication failures are retried.
   */
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): CaptureStatus;
  /** Calls `listener` with every batch Kafka acknowledged (the replicator's cache reads local rows from it). */
  onShipped(listener: (batch: CaptureBatch) => void): void;
}

/** @throws CaptureConfigError naming the invalid field. */
export function createCapture(input: CaptureConfigInput & CaptureDeps): Capture {
  const {
    tables,
    logger,
    metrics,
    clock,
    kafkaClient: injected,
    beforeConfirm,
    signer,
    kafkaSecurity,
    onKafkaWait,
    awaitReportedProgress,
    ...raw
  } = input;
  const config = parseCaptureConfig(raw);
  const t = config.options;
  const log = logger.child({ region: config.region });
  const kafka =
    injected ??
    createKafka({
      brokers: config.kafka.brokers,
      clientId: config.kafka.clientId,
      logger: log,
      ...(kafkaSecurity === undefined ? {} : { security: kafkaSecurity }),
    });
  const shipper = createShipper({
    kafka,
    origin: config.region,
    zones: config.zones,
    partitions: config.partitions,
    replicationFactor: config.replicationFactor,
    topicSettings: config.topic,
    maxInFlightBatches: t.maxInFlightBatches,
    maxBatchMessages: t.maxBatchMessages,
    maxMessageBytes: t.maxMessageBytes,
    compression: t.compression,
    retry: { initialMs: t.backoffInitialMs, maxMs: t.backoffMaxMs },
    logger: log,
    metrics,
    signer,
  });
  const shippedListeners: Array<(batch: CaptureBatch) => void> = [];
  const sink: CaptureSink = {
    ready: () => shipper.ready(),
    async ship(batch) {
      await shipper.ship(batch);
      for (const listener of shippedListeners)
        try {
          listener(batch);
        } catch (error) {
          log.error(
            { err: error },
            "an onShipped listener threw; the batch is shipped all the same",
          );
        }
    },
  };
  const reader = createReader({
    region: config.region,
    pgUrl: config.pgUrl,
    pgPassword: config.pgPassword,
    slotName: config.slotName,
    tables,
    sink,
    logger: log,
    metrics,
    clock,
    lingerMs: t.lingerMs,
    maxBatchRows: t.maxBatchRows,
    heartbeatIntervalMs: t.heartbeatIntervalMs,
    statusIntervalMs: t.statusIntervalMs,
    resyncBatchRows: t.resyncBatchRows,
    reportedWaitMs: t.reportedWaitMs,
    backoff: { initialMs: t.backoffInitialMs, maxMs: t.backoffMaxMs },
    shipped: () => shipped,
    ...(beforeConfirm === undefined ? {} : { beforeConfirm }),
    ...(awaitReportedProgress === true
      ? { reported: () => readReportedProgress(kafka, config.region) }
      : {}),
  });
  let shipped: ShippedMark | undefined;
  let stopped = false;
  const halt = new AbortController();
  // A call, not the property: a check after an await must not be narrowed away.
  const halted = (): boolean => halt.signal.aborted;
  const waiting = metrics.gauge(
    "georep_capture_waiting_for_kafka",
    "1 while the capture's start waits for its region's Kafka cluster to answer (the slot keeps the WAL)",
  );
  /** The shipper's start (topics, on this region's cluster), waiting out an unreachable cluster. */
  const startShipper = async (): Promise<void> => {
    try {
      for (;;) {
        try {
          await shipper.start();
          return;
        } catch (error) {
          // A stop ends the wait: what the attempt met no longer matters.
          if (halted()) return;
          if (onKafkaWait === undefined || !isRetriable(error)) throw error;
          waiting.set(1);
          onKafkaWait(error);
          await delay(KAFKA_RETRY_MS, undefined, { signal: halt.signal }).catch(() => undefined);
          if (halted()) return;
        }
      }
    } finally {
      waiting.set(0);
    }
  };
  return {
    async start() {
      await startShipper();
      if (halted()) return;
      shipped = await readShippedMark(kafka, config.region, log);
      // A stop that came during the read: the reader must not start after it stopped.
      if (halted()) return;
      await reader.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      halt.abort();
      await reader.stop();
      await shipper.close();
      if (injected === undefined) await kafka.disconnect();
    },
    status: () => ({ ...reader.status(), ...shipper.status() }),
    onShipped(listener) {
      shippedListeners.push(listener);
    },
  };
}
