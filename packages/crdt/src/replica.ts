import { InvalidIdError } from "./errors.ts";

/**
 * A replica is one incarnation of a region: the identity its counter components and register
 * writes are recorded under. A region that may have lost part of its own history (a restored
 * backup, a promoted asynchronous standby) must never reuse the identity it wrote under before:
 * its peers' max-merge would swallow its new increments (Riak KV's kv679). It starts a new
 * incarnation instead, and a counter's value is the sum over every (region, incarnation).
 *
 * Incarnation 1 is the bare region id (so state written before incarnations existed keeps its
 * meaning); incarnation n > 1 is `<region>.<n>`. georep's region ids never contain '.' (the spec's
 * regionIdSchema), so the region of a replica is everything before the first '.'. The SQL side
 * reads it the same way (`split_part(origin, '.', 1)`, checked against this by a test).
 */
export type ReplicaId = string;

const SEPARATOR = ".";
const INCARNATION = /^[1-9][0-9]{0,15}$/;

/** @throws InvalidIdError when the incarnation is not a positive safe integer. */
export function replicaId(region: string, incarnation: number): ReplicaId {
  if (!Number.isSafeInteger(incarnation) || incarnation < 1)
    throw new InvalidIdError("incarnation", incarnation, "a positive safe integer");
  return incarnation === 1 ? region : `${region}${SEPARATOR}${incarnation}`;
}

/** The region a replica belongs to. */
export function regionOfReplica(replica: ReplicaId): string {
  const at = replica.indexOf(SEPARATOR);
  return at < 0 ? replica : replica.slice(0, at);
}

/** The incarnation number of a replica (1 for a bare region id); undefined when malformed. */
export function incarnationOfReplica(replica: ReplicaId): number | undefined {
  const at = replica.indexOf(SEPARATOR);
  if (at < 0) return 1;
  const n = replica.slice(at + 1);
  if (!INCARNATION.test(n)) return undefined;
  const value = Number(n);
  return Number.isSafeInteger(value) && value > 1 ? value : undefined;
}

/**
 * True when `replica` is an incarnation of `region` written the one way replicaId writes it
 * (the bare id included; `region.1` is not: it would be a second name for incarnation 1).
 */
export function isReplicaOf(replica: ReplicaId, region: string): boolean {
  const n = incarnationOfReplica(replica);
  return n !== undefined && regionOfReplica(replica) === region && replicaId(region, n) === replica;
}

/**
 * The number of a new incarnation: above every incarnation known here, and at least the current
 * epoch second, so a database that forgot a later incarnation (restored from before it) still
 * picks a number never used, as long as its clock has not gone back by the time in between.
 */
export function nextIncarnation(knownMax: number, nowMs: number): number {
  return Math.max(knownMax + 1, Math.floor(nowMs / 1000), 2);
}
