// Brings back what peers hold of this region's earlier incarnations, once per new incarnation.
//
//   idle ──every intervalMs──▶ check: current incarnation > 1, not repaired, and the capture
//   streams under it? ──yes──▶ note the ends of this region's topics ──▶ every peer applied them?
//   ──yes──▶ repairing (repairRegion from every peer) ──ok──▶ mark repaired
//   (not yet, or an error: logged, checked again at the next tick)
//   no incarnation pending, capture streaming ──▶ gaps the merger recorded (georep.gaps)? ──yes──▶
//   repairing from each gap's origin (gap-repair.ts) ──ok──▶ gaps marked repaired
//
// Waiting for the peers matters: records this region shipped before it lost its history may
// still sit in Kafka unapplied by a lagging peer; repaired before they land, the region would
// never see them (it never consumes its own topics).
import type pg from "pg";
import type { Logger, Metrics, WallClock } from "@georep/observability";
import { repairRegion } from "@georep/repair";
import type { RepairPeer, RepairReport } from "@georep/repair";
import { currentIncarnation, markRepaired } from "@georep/schema";
import type { StateLayout } from "@georep/schema";
import { repairGaps } from "./gap-repair.ts";
import { partitionsBehind } from "./peer-progress.ts";
import type { TopicEnds } from "./peer-progress.ts";

export interface RepairWatcherStatus {
  readonly state: "idle" | "repairing";
  /** The incarnation waiting for repair, if any. */
  readonly pending: string | undefined;
  readonly last: RepairReport | undefined;
  readonly lastError: string | undefined;
}

export interface RepairWatcher {
  stop(): Promise<void>;
  status(): RepairWatcherStatus;
}

export interface RepairWatcherDeps {
  readonly region: string;
  readonly zone: string | undefined;
  readonly pool: pg.Pool;
  readonly peers: ReadonlyArray<RepairPeer & { readonly zone: string | undefined }>;
  /** End offsets of this region's topics now (everything an earlier incarnation shipped is below). */
  readonly topicEnds: () => Promise<TopicEnds>;
  readonly layouts: readonly StateLayout[];
  /** The replica the capture streams under now (undefined until it prepared its slot). */
  readonly streamingReplica: () => string | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: WallClock;
  readonly intervalMs: number;
  /** Checked before every repair: the peers are still the databases they claim to be. */
  readonly checkPeers: () => Promise<void>;
}

export function startRepairWatcher(d: RepairWatcherDeps): RepairWatcher {
  const log = d.logger.child({ component: "repair" });
  const pendingGauge = d.metrics.gauge(
    "georep_repair_pending",
    "1 while this region's current incarnation has not been repaired from its peers yet",
  );
  const merged = d.metrics.counter(
    "georep_repair_rows_merged_total",
    "State rows read from peers and merged by automatic repair",
  );
  let state: RepairWatcherStatus["state"] = "idle";
  let pending: string | undefined;
  let last: RepairReport | undefined;
  let lastError: string | undefined;
  let stopped = false;
  const abort = new AbortController();
  let warnedNoPeers = false;
  let ends: { replica: string; ends: TopicEnds } | undefined;
  const reportedWithoutPeer = new Set<string>();
  const repairedAt = new Map<string, { at: number; streak: number }>();

  /** Gaps wait while an incarnation is pending: its repair from every peer comes first. */
  const gaps = async (): Promise<void> => {
    const replica = d.streamingReplica();
    if (replica === undefined) return;
    merged.inc(
      await repairGaps({
        region: d.region,
        zone: d.zone,
        pool: d.pool,
        peers: d.peers,
        layouts: d.layouts,
        replica,
        logger: log,
        clock: d.clock,
        signal: abort.signal,
        checkPeers: d.checkPeers,
        reportedWithoutPeer,
        repairedAt,
      }),
    );
  };

  const check = async (): Promise<void> => {
    const current = await currentIncarnation(d.pool);
    pending =
      current !== undefined && current.incarnation > 1 && current.repairedAt === null
        ? current.replica
        : undefined;
    pendingGauge.set(pending === undefined ? 0 : 1);
    // Repair only once the capture streams under the new replica: before that, the trigger
    // refuses local writes and the replica to exclude is not settled.
    if (pending === undefined) {
      await gaps();
      return;
    }
    if (d.streamingReplica() !== pending) return;
    if (d.peers.length === 0) {
      ends = undefined;
      if (!warnedNoPeers)
        log.error(
          { replica: pending },
          "a new incarnation started but no peers are configured: this region's earlier components stay missing until `georep repair` runs (or add peers to the config)",
        );
      warnedNoPeers = true;
      return;
    }
    if (ends?.replica !== pending) ends = { replica: pending, ends: await d.topicEnds() };
    for (const peer of d.peers) {
      const behind = await partitionsBehind(peer.pool, d.region, peer.zone, ends.ends);
      if (behind > 0) {
        log.info(
          { replica: pending, peer: peer.region, partitionsBehind: behind },
          "waiting for a peer to apply what this region shipped before repairing from it",
        );
        return;
      }
    }
    state = "repairing";
    await d.checkPeers();
    const started = d.clock();
    log.warn({ replica: pending, peers: d.peers.map((p) => p.region) }, "repairing from peers");
    const report = await repairRegion({
      target: { region: d.region, zone: d.zone, pool: d.pool, replica: pending },
      sources: d.peers,
      layouts: d.layouts,
      logger: log,
      clock: d.clock,
      signal: abort.signal,
    });
    merged.inc(report.rowsMerged);
    await markRepaired(d.pool, pending);
    last = report;
    lastError = undefined;
    log.info(
      {
        replica: pending,
        ms: d.clock() - started,
        rowsMerged: report.rowsMerged,
        stateRowsChanged: report.stateRowsChanged,
      },
      "repaired from peers",
    );
    pending = undefined;
    pendingGauge.set(0);
  };

  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = check()
      .catch((error: unknown) => {
        if (stopped) return;
        lastError = error instanceof Error ? error.message : String(error);
        log.error({ err: error }, "repair failed; retrying at the next check");
      })
      .finally(() => {
        state = "idle";
        if (!stopped) timer = setTimeout(tick, d.intervalMs);
      });
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(tick, 0);

  return {
    async stop() {
      stopped = true;
      abort.abort();
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
    status: () => ({ state, pending, last, lastError }),
  };
}
