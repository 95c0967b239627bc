import type { Capture } from "@georep/capture";
import { startSlotMetrics } from "@georep/capture";
import type { Merger } from "@georep/merger";
import { startConsumerLagMetrics } from "@georep/merger";
import type { Logger, Metrics, WallClock } from "@georep/observability";
import type { ReplicatorConfig } from "./config.ts";
import { kafkaSecurityOption } from "./kafka-security.ts";
import { pgLogin } from "./postgres-config.ts";
import type { Probes } from "./http.ts";
import { createStallWatch } from "./stall-watch.ts";
import type { Stall } from "./stall-watch.ts";

/** How often the roles' progress is sampled for /health's stall check. */
const OBSERVE_MS = 1_000;

/**
 * What runs beside the active roles to show how they do: the stall check behind /health, and the
 * gauges an operator alerts on (docs/monitoring.md): the slot's retained WAL and records to merge.
 */
export interface RoleWatch {
  stalled(): readonly Stall[];
  stop(): Promise<void>;
}

export function startRoleWatch(o: {
  readonly config: ReplicatorConfig;
  /** The brokers of each member's cluster (per-region clusters; all the same when shared). */
  readonly clusters: Readonly<Record<string, readonly string[]>>;
  readonly capture: Capture | undefined;
  readonly merger: Merger;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock: WallClock;
}): RoleWatch {
  const { config, capture, merger, metrics, logger } = o;
  const capturing = pgLogin(config.postgres, "capture");
  const merging = pgLogin(config.postgres, "merge");
  const stalls = createStallWatch({ stallMs: config.stallSeconds * 1000, now: o.clock });
  const observe = (): void => {
    const c = capture?.status();
    const m = merger.status();
    // Pending = a batch in flight. Records waiting in Kafka are not counted: the group's lag
    // includes partitions other merge workers own, and one stuck worker must not fail the
    // active's /health. A consumer that stopped fetching shows in georep_consumer_lag_records.
    stalls.observe({
      capture: c === undefined ? undefined : { mark: c.durableLsn, pending: c.walPending },
      merge: { mark: String(m.lastProgressAt), pending: m.inFlightBatches > 0 },
    });
  };
  const timer = setInterval(observe, OBSERVE_MS);
  const slot =
    capture === undefined
      ? undefined
      : startSlotMetrics({
          pgUrl: capturing.url,
          pgPassword: capturing.password,
          slotName: config.slot,
          metrics,
          logger,
        });
  const consumerLag = startConsumerLagMetrics({
    region: config.region,
    regions: config.regions,
    pgUrl: merging.url,
    pgPassword: merging.password,
    kafka: { brokers: config.kafka.brokers, clusters: o.clusters },
    kafkaSecurity: kafkaSecurityOption(config).security,
    metrics,
    logger,
  });
  return {
    stalled: () => stalls.stalled(),
    async stop() {
      clearInterval(timer);
      await Promise.all([slot?.stop(), consumerLag.stop()]);
    },
  };
}

/**
 * /health: the process has not failed and no role is stalled. /ready: the active instance with
 * its merger running and, unless it is a merge worker (no capture), its capture streaming.
 */
export function replicatorProbes(o: {
  readonly role: ReplicatorConfig["role"];
  readonly state: () => string;
  readonly capture: () => Capture | undefined;
  readonly merger: () => Merger | undefined;
  readonly watch: () => RoleWatch | undefined;
}): Probes {
  return {
    health: () => {
      const state = o.state();
      const stalled = o.watch()?.stalled() ?? [];
      return { ok: state !== "failed" && stalled.length === 0, detail: { state, stalled } };
    },
    ready: () => {
      const state = o.state();
      const merger = o.merger()?.status().state;
      const capture = o.capture()?.status().state;
      const capturing = o.role === "merge" || capture === "streaming";
      return {
        ok: state === "active" && merger === "running" && capturing,
        detail: { state, merger, capture },
      };
    },
  };
}
