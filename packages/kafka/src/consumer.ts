// Batch consumer lifecycle:
//
//   idle ──start()──▶ joining ──GROUP_JOIN──▶ positioning (assigned partitions paused,
//   seek each to the caller's durable next offset, resume) ──▶ consuming
//   consuming ──rebalance──▶ joining ──▶ …       consuming ──crash (non-retriable)──▶ failed
//   any ──stop()──▶ stopping (current batch finishes) ──▶ stopped
//
// The caller's store, not Kafka's committed offsets, is the source of truth: a batch counts as
// consumed when its handler says so, after the caller made its effect durable, and Kafka's
// offsets are committed (autoCommit off) only as an optimisation. Each batch is handled in its
// partition's lane (batch-lanes.ts); its offset is resolved for the next fetch as it starts, and
// on a link whose round trip exceeds the handling time kafkajs fetches the next batch meanwhile
// (prefetch-rule.ts). The lane keeps the partition in order and in step with the store:
//   handler says seek ──▶ seek; a batch already fetched behind it is stale and dropped
//   handler throws ──▶ seek back to the batch, and eachBatch (or, after a prefetch, the
//                      partition's next eachBatch) throws that error: kafkajs retries and
//                      gives up as if the handler had thrown in eachBatch
//   group join ──▶ lanes settle before positions are read from the store
import type { Consumer, EachBatchPayload, KafkaMessage } from "kafkajs";
import { buildKafkaJs, explainRefusal } from "./client.ts";
import type {
  BatchConsumer,
  BatchConsumerOptions,
  BatchControls,
  ConsumedMessage,
} from "./consumer-types.ts";
import { backoffDelay } from "@georep/retry";
import type { Backoff } from "@georep/retry";
import { isBrokerUnreachable } from "./broker-unreachable.ts";
import { createDeadLetterSender } from "./dead-letters.ts";
import { isSecurityRefusal, toKafkaError } from "./errors.ts";
import { createOffsetCommits } from "./offset-commits.ts";
import { createBatchLanes } from "./batch-lanes.ts";
import { createPrefetchRule } from "./prefetch-rule.ts";

export type {
  BatchConsumer,
  BatchConsumerOptions,
  BatchControls,
  BatchOutcome,
  ConsumedBatch,
  ConsumedMessage,
  DeadLetterRecord,
  TopicPartition,
} from "./consumer-types.ts";

/** Pauses before restarting a consumer whose broker was unreachable: 0.5-1 s at first, then up to 5 s. */
const RESTART_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 5_000 };
/** How long restarts go on without a group join before the crash is the caller's (2 min). */
const UNREACHABLE_LIMIT_MS = 120_000;

export const partitionId = (topic: string, partition: number): string => `${topic}:${partition}`;

function toConsumed(m: KafkaMessage): ConsumedMessage {
  return {
    offset: BigInt(m.offset),
    key: m.key,
    value: m.value,
    headers: (m.headers ?? {}) as ConsumedMessage["headers"],
    timestamp: Number(m.timestamp),
  };
}

export function createBatchConsumer(options: BatchConsumerOptions): BatchConsumer {
  const kafka = buildKafkaJs(options.kafka);
  const log = options.logger.child({ component: "consumer", groupId: options.groupId });
  let consumer: Consumer | undefined;
  let running = false;
  const deadLetters = createDeadLetterSender(kafka);
  const commits = createOffsetCommits(log);
  const lanes = createBatchLanes();
  const prefetch = createPrefetchRule();
  // A refusal (login, CA, ACL) says what to fix; anything else passes as kafkajs gave it.
  const consumeError = (error: unknown): unknown => {
    const e = toKafkaError(error, {
      operation: "consume",
      group: options.groupId,
      // kafkajs does not say which subscribed topic was refused; with one, it is that one.
      ...(options.topics.length === 1 ? { topic: options.topics[0] } : {}),
      ...(options.kafka.security === undefined
        ? {}
        : {
            user: options.kafka.security.sasl.username,
            mechanism: options.kafka.security.sasl.mechanism,
          }),
    });
    return isSecurityRefusal(e) ? e : error;
  };

  async function position(c: Consumer, assignment: Record<string, number[]>): Promise<void> {
    const assigned = Object.entries(assignment).flatMap(([topic, ps]) =>
      ps.map((partition) => ({ topic, partition })),
    );
    const byTopic = Object.entries(assignment).map(([topic, partitions]) => ({
      topic,
      partitions,
    }));
    c.pause(byTopic);
    try {
      // Batches still being handled move the store's positions: read them once they are done.
      await lanes.settled();
      lanes.forgetFailures();
      const offsets = await options.startOffsets(assigned);
      for (const tp of assigned) {
        const next = offsets.get(partitionId(tp.topic, tp.partition));
        if (next !== undefined)
          c.seek({ topic: tp.topic, partition: tp.partition, offset: next.toString() });
      }
      log.info(
        { assigned: assigned.length, positioned: offsets.size },
        "partitions assigned and positioned from the durable store",
      );
    } finally {
      c.resume(byTopic);
    }
  }

  /** Waits for the partition's lane; its batch's failure is thrown here, as kafkajs expects. */
  async function afterLane(id: string): Promise<void> {
    const failed = await lanes.previous(id);
    if (failed !== undefined) throw failed.error;
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    const id = partitionId(topic, partition);
    if (batch.messages.length === 0 || payload.isStale()) return;
    await afterLane(id);
    // The batch before it sought elsewhere (it was fetched from the old position), or stop().
    if (payload.isStale() || !running) return;
    const messages = batch.messages.map(toConsumed);
    const first = messages[0]?.offset ?? 0n;
    const last = messages[messages.length - 1]?.offset ?? first;
    const controls: BatchControls = {
      heartbeat: () => payload.heartbeat(),
      isActive: () => running && payload.isRunning() && !payload.isStale(),
    };
    payload.resolveOffset(last.toString());
    const seek = (offset: bigint): void => {
      consumer?.seek({ topic, partition, offset: offset.toString() });
    };
    lanes.run(
      id,
      async () => {
        const started = performance.now();
        const outcome = await options.onBatch({ topic, partition, messages }, controls);
        prefetch.handled(performance.now() - started);
        if (outcome.kind === "seek") {
          seek(outcome.offset);
          return;
        }
        // Consumed short of the batch's end: the rest is read again (resolved past already).
        if (outcome.through < last) seek(outcome.through + 1n);
        // Not awaited: a commit is a round trip to the coordinator, and only an optimisation.
        void commits.consumed(payload, outcome.through + 1n);
      },
      (error) => {
        log.debug({ err: error, topic, partition }, "batch failed; reading it again");
        try {
          seek(first);
        } catch (seekError) {
          // The consumer is stopping or replaced: its successor positions from the store.
          log.debug(
            { err: seekError, topic, partition },
            "seeking back after a failed batch failed",
          );
        }
      },
    );
    if (!prefetch.prefetch()) await afterLane(id);
  }

  /** Consecutive restarts after an unreachable broker, and since when (reset at a group join). */
  let restarts = 0;
  let unreachableSince: number | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  /** The restart under way, which stop() waits for. */
  let restarting: Promise<void> | undefined;
  /** Whether a crash is one to restart after: the broker unreachable, not a refusal, not too long. */
  const restartable = (error: unknown): boolean => {
    if (!running || !isBrokerUnreachable(error) || isSecurityRefusal(consumeError(error)))
      return false;
    unreachableSince ??= Date.now();
    return Date.now() - unreachableSince < UNREACHABLE_LIMIT_MS;
  };
  const crashed = (error: unknown): void => {
    if (running) options.onCrash?.(consumeError(error));
  };
  /**
   * A crash kafkajs does not recover from because the broker was unreachable (restarted, cut
   * off): a new consumer of the same group after a pause, as a supervisor's restart would do
   * but without ending the process. Positions come from the durable store at the group join.
   * Past UNREACHABLE_LIMIT_MS without a join the crash is the caller's (the merger fails).
   */
  const restartLater = (old: Consumer, error: unknown): void => {
    const delay = backoffDelay(RESTART_BACKOFF, restarts++);
    log.warn({ err: error, delayMs: delay }, "consumer stopped: broker unreachable; restarting");
    options.onRestart?.(error);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (!running || consumer !== old) return;
      restarting = old
        .disconnect()
        .catch(() => undefined) // the crashed consumer's own error was reported above
        .then(() => (running && consumer === old ? launch() : undefined))
        .catch((e: unknown) => {
          // Still unreachable: try again with the consumer that just failed to start.
          const failed = consumer;
          if (failed !== undefined && restartable(e)) restartLater(failed, e);
          else crashed(e);
        })
        .finally(() => {
          restarting = undefined;
        });
    }, delay);
  };

  /** Creates, connects and runs a consumer of the group. */
  async function launch(): Promise<void> {
    const perPartition = options.maxBytesPerPartition ?? 4 * 1024 * 1024;
    const c = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      maxBytesPerPartition: perPartition,
      // A whole fetch (kafkajs' default 10 MiB) must hold at least one partition's share.
      maxBytes: Math.max(10 * 1024 * 1024, perPartition),
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 100,
      allowAutoTopicCreation: false,
    });
    consumer = c;
    c.on(c.events.FETCH, (e) => {
      prefetch.fetched(e.payload.duration);
    });
    c.on(c.events.GROUP_JOIN, (e) => {
      restarts = 0;
      unreachableSince = undefined;
      commits.reset();
      position(c, e.payload.memberAssignment).catch((error: unknown) => {
        log.error({ err: error }, "positioning assigned partitions failed");
        // A consumer replaced or stopped meanwhile has nothing left to fail.
        if (running && consumer === c) options.onCrash?.(error);
      });
    });
    c.on(c.events.CRASH, (e) => {
      if (e.payload.restart) return;
      if (restartable(e.payload.error)) restartLater(c, e.payload.error);
      else crashed(e.payload.error);
    });
    // stop() may come while this connects: a consumer it already disconnected must not go on.
    const stopped = (): boolean => !running;
    await c.connect();
    if (stopped()) {
      await c.disconnect();
      return;
    }
    await c.subscribe({ topics: [...options.topics], fromBeginning: true });
    if (stopped()) {
      await c.disconnect();
      return;
    }
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.concurrentPartitions ?? 1,
      eachBatch,
    });
  }

  return {
    async start() {
      running = true;
      try {
        await launch();
      } catch (error) {
        running = false;
        // At start the broker is asked which mechanisms it enables when it refused ours.
        throw await explainRefusal(consumeError(error), options.kafka);
      }
    },
    deadLetter: (records) => deadLetters.send(records),
    async stop() {
      running = false;
      clearTimeout(restartTimer);
      await restarting;
      const c = consumer;
      consumer = undefined;
      if (c !== undefined) await c.disconnect();
      await lanes.settled();
      await deadLetters.close();
    },
  };
}
