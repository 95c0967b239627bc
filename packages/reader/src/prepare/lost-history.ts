import { incarnationOfReplica } from "@georep/crdt";
import { identityChange, sameIdentity } from "@georep/schema";
import type { DbIdentity, Incarnation } from "@georep/schema";
import type { Lsn } from "../postgres/lsn.ts";
import { formatLsn } from "../postgres/lsn.ts";
import type { SlotState } from "../postgres/slot.ts";

/** The newest thing this region's topic says it shipped (read from Kafka at capture start). */
export interface ShippedMark {
  readonly replica: string;
  readonly lsn: Lsn;
}

/** The newer of two marks: a later incarnation, or the same one further along. */
export function newerMark(
  a: ShippedMark | undefined,
  b: ShippedMark | undefined,
): ShippedMark | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const ia = incarnationOfReplica(a.replica) ?? 0;
  const ib = incarnationOfReplica(b.replica) ?? 0;
  if (ia !== ib) return ia > ib ? a : b;
  return a.lsn >= b.lsn ? a : b;
}

export interface HistoryEvidence {
  readonly current: Incarnation;
  readonly identity: DbIdentity;
  readonly slot: SlotState;
  /** pg_current_wal_lsn() now. */
  readonly walLsn: Lsn;
  readonly shipped: ShippedMark | undefined;
  /** A resync marker is left: this database's own first attach was interrupted. */
  readonly resyncPending: boolean;
}

/** Why a new incarnation must start, and whether the database went back in time for it. */
export interface LostHistory {
  readonly reason: string;
  /**
   * The database is older than what its region already did (not just its slot gone): it may
   * have lost changes it applied and reported (prepare.ts waits for those).
   */
  readonly wentBack: boolean;
}

/**
 * Why this database may have lost history its current incarnation already shipped (a new
 * incarnation must start), or undefined. Pure: every fact is read by the caller.
 */
export function lostHistory(e: HistoryEvidence): LostHistory | undefined {
  const back = wentBackReason(e);
  if (back !== undefined) return { reason: back, wentBack: true };
  if (e.slot.kind !== "ok" && e.current.attachedAt !== null)
    return {
      reason: `replication slot ${e.slot.kind === "lost" ? "invalidated" : "missing"} after streaming`,
      wentBack: false,
    };
  return undefined;
}

/** lostHistory's reason alone. */
export function lostHistoryReason(e: HistoryEvidence): string | undefined {
  return lostHistory(e)?.reason;
}

function wentBackReason(e: HistoryEvidence): string | undefined {
  const { current, shipped } = e;
  if (!sameIdentity(current.identity, e.identity))
    return `database identity changed (${identityChange(current.identity, e.identity)})`;
  if (shipped === undefined) return undefined;
  const theirs = incarnationOfReplica(shipped.replica) ?? 0;
  if (theirs > current.incarnation)
    return `this region's topic carries replica ${shipped.replica}, newer than this database's ${current.replica}: the database is older than what the region shipped`;
  if (shipped.replica !== current.replica) return undefined;
  if (shipped.lsn > e.walLsn)
    return `this database's WAL ends at ${formatLsn(e.walLsn)}, before ${formatLsn(shipped.lsn)} that replica ${current.replica} already shipped: the database went back in time`;
  // Never streamed here, no slot, no interrupted attach of its own (upgrades keep their slot).
  if (current.attachedAt === null && e.slot.kind !== "ok" && !e.resyncPending)
    return `replica ${current.replica} already shipped from another database (this one never streamed it): rebuilt from scratch, or a second database configured with this region's id`;
  return undefined;
}
