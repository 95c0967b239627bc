import type { HeartbeatProgress } from "@georep/contract";
import type { Lsn } from "./postgres/lsn.ts";

/** One coalesced own-state row, ready to ship. */
export interface ShipRow {
  /** contract rowKey(table, key, keyOrder): the partitioning key. */
  readonly rowKey: string;
  /** The slice's residency zone (null = the origin topic). */
  readonly zone: string | null;
  /**
   * The contract RowSlice as JSON, `text[start, end)`: exactly the UTF-8 of JSON.stringify(slice)
   * (slice-json.ts). `text` is shared with other rows and must not be written to.
   */
  readonly text: Buffer;
  readonly start: number;
  readonly end: number;
}

/** The region's heartbeat: its stamp, and how far it applied its peers (absent on an older schema). */
export interface Heartbeat {
  readonly stamp: string;
  readonly progress: HeartbeatProgress | undefined;
}

/** One cut of the reader: coalesced own-state slices plus the latest heartbeat. */
export interface CaptureBatch {
  readonly rows: readonly ShipRow[];
  readonly heartbeat: Heartbeat | undefined;
  /** The replica (incarnation of this region) every row of the batch belongs to. */
  readonly replica: string;
  /** Newest source commit folded in. */
  readonly lsn: Lsn;
  /** Source commit time, epoch ms. */
  readonly commitTime: number;
  /** WAL changes folded into these rows (coalescing ratio = changesIn / rows). */
  readonly changesIn: number;
}

/** Where the reader hands its batches (the shipper implements it). */
export interface CaptureSink {
  /** Resolves when the sink has room for another batch: the reader waits here (backpressure). */
  ready(): Promise<void>;
  /**
   * Accepts a batch; resolves once every message of it is acknowledged by Kafka (acks=all).
   * The sink retries transient failures itself; it rejects only when it is closed.
   */
  ship(batch: CaptureBatch): Promise<void>;
}
