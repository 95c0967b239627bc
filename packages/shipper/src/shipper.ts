// The shipper: one send loop over one idempotent producer (acks=all), so per-partition order
// and kafkajs' idempotence sequence numbers are never raced by concurrent sends.
//
//   idle ──start() (ensureTopics)──▶ running
//   running: queued batches ──send loop takes up to maxBatchMessages records──▶ producer.send
//            ok ──▶ every batch of the send resolves (durable in Kafka)
//            KafkaError ──▶ backoff, same records again (the producer reconnects; duplicates are
//                           harmless, the merge is idempotent) — batches never fail while running
//            refused (non-retriable, e.g. MESSAGE_TOO_LARGE) ──▶ logged as an error, counted, in
//                           status(); retried at the longest backoff: dropping the records would
//                           lose data, and a topic limit raised by hand lets them through
//   running ──close()──▶ draining (wait for the queue) ──▶ closed (pending ships reject)
import { isRecordTooLarge, reportTopicConfig } from "@georep/kafka";
import type { KafkaClient, ProducerRecord, TopicSettings } from "@georep/kafka";
import { MAX_MESSAGE_BYTES, originTopic, zoneTopic } from "@georep/contract";
import type { EnvelopeSigner } from "@georep/contract";
import type { Logger, Metrics } from "@georep/observability";
import type { CaptureBatch, CaptureSink } from "@georep/reader";
import { backoffDelay, settlesWithin } from "@georep/retry";
import type { Backoff } from "@georep/retry";
import { createInflightWindow } from "./inflight.ts";
import { routeBatch } from "./route.ts";
import { shipperMetrics } from "./shipper-metrics.ts";

export interface ShipperOptions {
  readonly kafka: KafkaClient;
  readonly origin: string;
  readonly zones: readonly string[];
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Retention and the other settings of the topics it creates; existing ones are checked. */
  readonly topicSettings: TopicSettings;
  readonly maxInFlightBatches: number;
  readonly maxBatchMessages: number;
  readonly maxMessageBytes: number;
  readonly compression: "none" | "gzip";
  readonly retry: Backoff;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** This region's envelope signer (docs/security.md); absent: records go unsigned. */
  readonly signer?: EnvelopeSigner | undefined;
}

export interface ShipperStatus {
  readonly messagesOut: number;
  readonly sends: number;
  readonly inFlightBatches: number;
  readonly sendFailures: number;
  /** Sends the broker refused in a way retrying alone cannot fix (e.g. a record too large). */
  readonly refusedSends: number;
  /** The last such refusal, until a send succeeds. */
  readonly lastRefusal: string | undefined;
}

export interface Shipper extends CaptureSink {
  /** Creates the origin and zone topics (idempotent). @throws KafkaError when the broker refuses. */
  start(): Promise<void>;
  /** Waits (bounded) for queued batches, then closes the producer; later ships reject. */
  close(drainMs?: number): Promise<void>;
  status(): ShipperStatus;
}

interface Queued {
  readonly records: ProducerRecord[];
  resolve(): void;
  reject(error: Error): void;
}

export function createShipper(o: ShipperOptions): Shipper {
  const log = o.logger.child({ component: "shipper", origin: o.origin });
  const m = shipperMetrics(o.metrics);
  const producer = o.kafka.producer({ compression: o.compression });
  const window = createInflightWindow(o.maxInFlightBatches);
  const topics = new Set<string>();
  const queue: Queued[] = [];
  const heartbeatTopics = [originTopic(o.origin), ...o.zones.map((z) => zoneTopic(o.origin, z))];
  const s = {
    messagesOut: 0,
    sends: 0,
    sendFailures: 0,
    refusedSends: 0,
    lastRefusal: undefined as string | undefined,
  };
  let closed = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const ensure = async (names: Iterable<string>): Promise<void> => {
    const missing = [...new Set(names)].filter((t) => !topics.has(t));
    if (missing.length === 0) return;
    const report = await o.kafka.admin.ensureTopics(
      missing.map((topic) => ({
        topic,
        partitions: o.partitions,
        replicationFactor: o.replicationFactor,
        // Every georep topic takes a row at the row size limit (docs/capture.md).
        maxMessageBytes: MAX_MESSAGE_BYTES,
        settings: o.topicSettings,
      })),
    );
    reportTopicConfig(report, log, o.metrics);
    for (const t of missing) topics.add(t);
  };

  const refused = (error: unknown, records: readonly ProducerRecord[]): void => {
    s.refusedSends += 1;
    s.lastRefusal = error instanceof Error ? error.message : String(error);
    m.refused.inc();
    const largest = Math.max(...records.map((r) => r.value.length));
    log.error(
      {
        err: error,
        messages: records.length,
        largestMessageBytes: largest,
        limit: MAX_MESSAGE_BYTES,
      },
      "kafka refused the records and retrying alone will not help; capture is stuck until the cause is fixed (a topic's max.message.bytes below georep's limit? see docs/capture.md, Row size limit)",
    );
  };

  const sendWithRetry = async (records: ProducerRecord[]): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await ensure(records.map((r) => r.topic));
        const started = performance.now();
        await producer.send(records);
        m.sendSeconds.observe((performance.now() - started) / 1000);
        s.lastRefusal = undefined;
        return;
      } catch (error) {
        s.sendFailures += 1;
        m.failures.inc();
        if (closed && attempt > 0) throw error instanceof Error ? error : new Error(String(error));
        const hopeless =
          isRecordTooLarge(error) || (error as { retriable?: unknown }).retriable === false;
        if (hopeless && !closed) {
          refused(error, records);
          await new Promise((r) => setTimeout(r, o.retry.maxMs));
          continue;
        }
        const delay = backoffDelay(o.retry, attempt);
        log.warn(
          { err: error, attempt, delayMs: delay, messages: records.length },
          "kafka send failed; retrying the same records",
        );
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };

  const run = async (): Promise<void> => {
    while (!closed || queue.length > 0) {
      if (queue.length === 0) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      const group: Queued[] = [];
      let count = 0;
      while (
        queue.length > 0 &&
        (group.length === 0 || count + (queue[0]?.records.length ?? 0) <= o.maxBatchMessages)
      ) {
        const next = queue.shift();
        if (next === undefined) break;
        group.push(next);
        count += next.records.length;
      }
      const records = group.flatMap((q) => q.records);
      try {
        await sendWithRetry(records);
        s.sends += 1;
        s.messagesOut += records.length;
        m.messages.inc(records.length);
        for (const q of group) q.resolve();
      } catch (error) {
        for (const q of group) q.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  };

  return {
    async start() {
      await ensure(heartbeatTopics);
      // Connecting now runs kafkajs' round trips (producer id, topic metadata) while the reader
      // prepares its slot, not in front of the first batch; a failure is retried by send().
      producer.connect(heartbeatTopics).catch((error: unknown) => {
        log.debug({ err: error }, "early kafka connect failed; the first send connects again");
      });
      loop ??= run();
    },
    ready: () => window.ready(),
    ship(batch: CaptureBatch) {
      if (closed) return Promise.reject(new Error("shipper is closed"));
      const records = routeBatch(batch, {
        origin: o.origin,
        partitions: o.partitions,
        maxMessageBytes: o.maxMessageBytes,
        heartbeatTopics,
        signer: o.signer,
      });
      window.enter();
      m.inFlight.set(window.count);
      return new Promise<void>((resolve, reject) => {
        queue.push({ records, resolve, reject });
        wake?.();
      }).finally(() => {
        window.leave();
        m.inFlight.set(window.count);
      });
    },
    async close(drainMs = 15_000) {
      if (closed) return;
      closed = true;
      wake?.();
      window.close();
      const drained = loop ?? Promise.resolve();
      await settlesWithin(drained, drainMs);
      for (const q of queue.splice(0))
        q.reject(new Error("shipper closed before this batch was sent"));
      await producer.close().catch((error: unknown) => {
        log.warn({ err: error }, "closing the producer failed");
      });
    },
    status: () => ({ ...s, inFlightBatches: window.count }),
  };
}
