import type { Logger, Metrics, WallClock } from "@georep/observability";
import type { Backoff } from "@georep/retry";
import type { TableSpec } from "@georep/schema";
import type { CaptureSink } from "./sink.ts";
import type { ShippedMark } from "./prepare/lost-history.ts";

export interface ReaderOptions {
  readonly region: string;
  readonly pgUrl: string;
  /** The password of pgUrl's user (a secret: never logged). */
  readonly pgPassword?: string | undefined;
  readonly slotName: string;
  readonly tables: readonly TableSpec[];
  readonly sink: CaptureSink;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: WallClock;
  readonly lingerMs: number;
  /** Cut early at this many distinct rows; pause the replication socket at 4x while the sink is full. */
  readonly maxBatchRows: number;
  readonly heartbeatIntervalMs: number;
  readonly statusIntervalMs: number;
  readonly resyncBatchRows: number;
  /** Delays before restarting replication after a failure. */
  readonly backoff: Backoff;
  /** How long stop() waits for the last flush, then for Kafka's acknowledgements (default 15 s each). */
  readonly stopDrainMs?: number;
  /**
   * Resolves when the slot may be confirmed (the replicator: "still the active one"); a rejection
   * ends the streaming session unconfirmed.
   */
  readonly beforeConfirm?: () => Promise<void>;
  /** What this region's topic says it shipped last, read at capture start (see lost-history.ts). */
  readonly shipped?: () => ShippedMark | undefined;
  /**
   * What this region's heartbeats last reported as applied per origin, read from its topic when
   * a new incarnation is about to start ("none": no such heartbeat found); given, the incarnation
   * waits until the database has applied as much (prepare.ts). Absent: no wait (no region
   * collects tombstones).
   */
  readonly reported?: () => Promise<ReadonlyMap<string, bigint> | "none">;
  /** How long that wait lasts at most before the incarnation starts anyway (logged as an error; default: no bound). */
  readonly reportedWaitMs?: number;
}

export interface ReaderStatus {
  readonly state: "idle" | "preparing" | "streaming" | "backoff" | "stopped";
  readonly receivedLsn: string;
  readonly durableLsn: string;
  /** The replica (incarnation of this region) local writes are recorded and shipped under. */
  readonly replica: string;
  readonly coalescedIn: number;
  readonly shippedRows: number;
  readonly restarts: number;
  readonly resyncs: number;
  readonly lastHeartbeatAt: number | undefined;
  /**
   * WAL was written (by the last heartbeat, at least) that is not yet durable in Kafka; false
   * while the reader waits for the reported progress (nothing is expected to move meanwhile).
   */
  readonly walPending: boolean;
  /** A new incarnation waits until the database has applied what the region last reported. */
  readonly waitingForReported: boolean;
  readonly lastError: string | undefined;
}

export interface Reader {
  /** Returns at once: the slot is prepared and streamed in the background (see status().state); failures are retried. */
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): ReaderStatus;
}
