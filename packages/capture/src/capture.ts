// The capture pipeline of one region: reader ──batches──▶ shipper ──acks=all──▶ Kafka.
//
//   created ──start()──▶ starting (topics) ──▶ running ──stop()──▶ stopping (flush, wait for
//   Kafka, ack the durable LSN, close) ──▶ stopped
import { createKafka } from "@georep/kafka";
import type { KafkaClient, KafkaSecurity } from "@georep/kafka";
import type { EnvelopeSigner } from "@georep/contract";
import type { Logger, Metrics, WallClock } from "@georep/observability";
import { createReader } from "@georep/reader";
import type { CaptureBatch, CaptureSink, ReaderStatus, ShippedMark } from "@georep/reader";
import type { TableSpec } from "@georep/schema";
import { createShipper, readShippedMark } from "@georep/shipper";
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
}

export type CaptureStatus = ReaderStatus & ShipperStatus;

export interface Capture {
  /** @throws KafkaError when the topics cannot be created. Replication failures are retried. */
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
    backoff: { initialMs: t.backoffInitialMs, maxMs: t.backoffMaxMs },
    shipped: () => shipped,
    ...(beforeConfirm === undefined ? {} : { beforeConfirm }),
  });
  let shipped: ShippedMark | undefined;
  let stopped = false;
  return {
    async start() {
      await shipper.start();
      shipped = await readShippedMark(kafka, config.region, log);
      await reader.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
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
