import type { KafkaSecurity } from "@georep/kafka";
import type { EnvelopeVerifier, RowsEnvelope } from "@georep/contract";
import type { Logger, Metrics, WallClock } from "@georep/observability";
import type { TableSpec } from "@georep/schema";
import type { MergerOptionsInput, RegionRef } from "./options.ts";

export interface MergerConfig {
  readonly region: string;
  readonly pgUrl: string;
  /** The password of pgUrl's user (a secret: never logged). */
  readonly pgPassword?: string | undefined;
  /**
   * `brokers`: this region's own cluster (its dead letters) and the default for every origin;
   * `clusters`: the brokers of an origin whose topics are on another cluster (per-region
   * clusters). The merger runs one consumer per cluster.
   */
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId?: string;
    readonly clusters?: Readonly<Record<string, readonly string[]>>;
    /** SASL_SSL on every cluster (resolved secrets: never logged); absent: plaintext. */
    readonly security?: KafkaSecurity | undefined;
  };
  readonly tables: readonly TableSpec[];
  readonly regions: readonly RegionRef[];
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: WallClock;
  readonly options?: MergerOptionsInput;
  /**
   * The active replicator's fencing epoch: every merge transaction checks it (sql/epoch-check.ts).
   * Merge workers leave it out; their partitions are fenced by the progress rows.
   */
  readonly epoch?: bigint;
  /** Called once when the merger fails for good (state "failed" after start). */
  readonly onFailure?: (error: Error) => void;
  /** Called after each committed batch with the envelopes merged (e.g. to refresh a cache). */
  readonly onApplied?: (envelopes: readonly RowsEnvelope[]) => void;
  /**
   * Verifies every record's signature before it is decoded (docs/security.md, "Envelope
   * signing"); a record that fails is dead-lettered as `bad-signature`. Absent: signing is off.
   */
  readonly verifier?: EnvelopeVerifier | undefined;
}

export type MergerState = "idle" | "starting" | "running" | "stopping" | "stopped" | "failed";

export interface MergerStatus {
  readonly state: MergerState;
  readonly region: string;
  readonly topics: readonly string[];
  /** Seconds since the latest applied source commit, per origin seen so far. */
  readonly lagSeconds: Readonly<Record<string, number>>;
  readonly lastError: string | undefined;
  /** Kafka batches being merged now, and when the merger last finished one or went busy (clock ms). */
  readonly inFlightBatches: number;
  readonly lastProgressAt: number;
}

export interface Merger {
  /** @throws MergerConfigError when the database belongs to another region or the role may not merge; MergeError when PostgreSQL is unreachable. */
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): MergerStatus;
}
