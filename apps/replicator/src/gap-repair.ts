// Repairs the gaps the merger recorded (georep.gaps: records Kafka deleted before this region
// read them, or that it dead-lettered) from each gap's origin region, whose state rows hold every change those records
// carried, then marks them repaired (docs/merge.md, "Gaps").
import type pg from "pg";
import { listUnrepairedGaps, markGapsRepaired } from "@georep/merger";
import type { Gap } from "@georep/merger";
import type { Logger, WallClock } from "@georep/observability";
import { repairRegion } from "@georep/repair";
import type { RepairPeer } from "@georep/repair";
import type { StateLayout } from "@georep/schema";

export interface GapRepairDeps {
  readonly region: string;
  readonly zone: string | undefined;
  readonly pool: pg.Pool;
  readonly peers: readonly RepairPeer[];
  readonly layouts: readonly StateLayout[];
  /** This region's current replica (never copied in). */
  readonly replica: string;
  readonly logger: Logger;
  readonly clock: WallClock;
  readonly signal: AbortSignal;
  /** Checked before repairing: the peers are still the databases they claim to be. */
  readonly checkPeers: () => Promise<void>;
  /** Origins already reported as having no peer (logged once per process). */
  readonly reportedWithoutPeer: Set<string>;
  /** When each origin's gaps were last repaired (this process), and how many repairs in a row. */
  readonly repairedAt: Map<string, { at: number; streak: number }>;
}

/** Repairs of one origin less than this apart are in a row (twice the longest backoff). */
const STREAK_WINDOW_MS = 10 * 60_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * How long after a repair of an origin the next may run: at once after the first of a row (a
 * gap found on one partition, then another), then 5 s, doubling up to 5 min. Pure.
 */
export function repairBackoffMs(streak: number): number {
  return streak <= 1 ? 0 : Math.min(5_000 * 2 ** (streak - 2), MAX_BACKOFF_MS);
}

/**
 * Repairs this region from the origin of every unrepaired gap, one origin at a time, and marks
 * the gaps listed before that repair began. Origins without a configured peer are logged as an
 * error (their gaps stay, and so does the gauge) for the operator to run `georep repair`.
 * Returns the state rows merged.
 * @throws RepairError, or pg's error, when a repair or the marking fails (retried at the next check).
 */
export async function repairGaps(d: GapRepairDeps): Promise<number> {
  const gaps = await listUnrepairedGaps(d.pool);
  const byOrigin = new Map<string, Gap[]>();
  for (const g of gaps) byOrigin.set(g.origin, [...(byOrigin.get(g.origin) ?? []), g]);
  let merged = 0;
  let checked = false;
  for (const [origin, originGaps] of byOrigin) {
    const ranges = originGaps.map((g) => `${g.topic}/${g.partition}@${g.fromOffset}-${g.toOffset}`);
    const peer = d.peers.find((p) => p.region === origin);
    if (peer === undefined) {
      if (!d.reportedWithoutPeer.has(origin))
        d.logger.error(
          { origin, gaps: ranges },
          `records from ${origin} are missing here (Kafka deleted them before this region read them, or this region dead-lettered them), and no peer is configured for ${origin} to repair from: run georep repair with every region's config (it marks the gaps repaired), or add ${origin} to peers`,
        );
      d.reportedWithoutPeer.add(origin);
      continue;
    }
    // Dead letters that keep coming (an origin whose signing key this region lacks) must not
    // copy its whole state again at every check: repairs of one origin back off.
    const last = d.repairedAt.get(origin);
    if (last !== undefined && d.clock() - last.at < repairBackoffMs(last.streak)) continue;
    if (!checked) await d.checkPeers();
    checked = true;
    d.logger.warn({ origin, gaps: ranges }, "repairing gaps from their origin region");
    const started = d.clock();
    const report = await repairRegion({
      target: { region: d.region, zone: d.zone, pool: d.pool, replica: d.replica },
      sources: [peer],
      layouts: d.layouts,
      logger: d.logger,
      clock: d.clock,
      signal: d.signal,
    });
    const marked = await markGapsRepaired(d.pool, originGaps);
    const now = d.clock();
    const streak = last !== undefined && now - last.at < STREAK_WINDOW_MS ? last.streak + 1 : 1;
    d.repairedAt.set(origin, { at: now, streak });
    merged += report.rowsMerged;
    d.logger.info(
      {
        origin,
        gaps: marked,
        ms: d.clock() - started,
        rowsMerged: report.rowsMerged,
        stateRowsChanged: report.stateRowsChanged,
      },
      "gaps repaired from their origin region",
    );
  }
  return merged;
}
