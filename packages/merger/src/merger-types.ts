import type { RowsEnvelope } from "@georep/contract";
import type { Logger, Metrics, WallClock } from "@georep/observability";
import type { TableSpec } from "@georep/schema";
import type { MergerOptionsInput, RegionRef } from "./options.ts";

export interface MergerConfig {
  readonly region: string;
  readonly pgUrl: string;
  readonly kafka: { readonly brokers: readonly string[]; readonly clientId?: string };
  readonly tables: readonly TableSpec[];
  readonly regions: readonly RegionRef[];
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: WallClock;
  readonly options?: MergerOptionsInput;
  /** Called after each committed batch with the envelopes merged (e.g. to refresh a cache). */
  readonly onApplied?: (envelopes: readonly RowsEnvelope[]) => void;
}

export type MergerState = "idle" | "starting" | "running" | "stopping" | "stopped" | "failed";

export interface MergerStatus {
  readonly state: MergerState;
  readonly region: string;
  readonly topics: readonly string[];
  /** Seconds since the latest applied source commit, per origin seen so far. */
  readonly lagSeconds: Readonly<Record<string, number>>;
  readonly lastError: string | undefined;
}

export interface Merger {
  /** @throws MergerConfigError when the database belongs to another region or the role may not merge; MergeError when PostgreSQL is unreachable. */
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): MergerStatus;
}
