import type { ReplicaId } from "./replica.ts";

/**
 * One replica's share of one row: the form in which every region stores a row's CRDT state, one
 * state row per (key, replica). A RowState is the join of its state rows: each counter's
 * component of that replica, the replica's latest write of each register, its greatest insert and
 * delete (see `rowOfStateRows`). Merging state rows field by field is therefore merging rows.
 *
 * Component names (which counter, which half of a PN-counter) and register values stay opaque
 * here: the table schema names them, and values travel as PostgreSQL text.
 */
export type StateRegister = { readonly v: string | null; readonly t: bigint };

export interface StateRow {
  readonly replica: ReplicaId;
  /**
   * When this replica's current lifetime of the row began (0: before lifetimes existed). A
   * replica starts its share over, components from zero, when it inserts the key or writes it
   * after a newer lifetime killed its share (`isKilled`): the new share replaces the old one
   * everywhere, so state that one region has collected and another still holds cannot mix.
   */
  born: bigint;
  /** The zone this replica's share of the row is routed to (data residency), or none. */
  zone: string | null;
  /** Counter components by component name; a missing component is 0. */
  readonly counters: Map<string, bigint>;
  /** Register column -> this replica's latest write; a missing register was never written. */
  readonly registers: Map<string, StateRegister>;
  ins: bigint | null;
  del: bigint | null;
  /** What the delete observed, taken together with its stamp. Opaque to the merge. */
  delBase: unknown;
}

/**
 * The merge rule of each field of a state row, within one lifetime: `lifetime` decides first
 * (the side with the greater `born` replaces the whole row), and the other rules merge two sides
 * of one lifetime. A lexicographic join of a total order and a semilattice is a semilattice. This table is the one definition: `mergeStateRow`
 * below interprets it in TypeScript, and the merger's SQL (`ON CONFLICT DO UPDATE` of the state
 * upsert) is generated from it rule by rule; a differential test runs both on random states.
 *
 * Every rule takes the incoming side when its deciding number is greater:
 *   - `max`: the number itself (a G-counter component, each half of a PN-counter, the insert
 *     stamp): per-component max, which is the G-counter's merge.
 *   - `newer`: a pair goes with its stamp (a register's value, a delete's base): LWW. Within one
 *     replica equal stamps are the same write, so which side a tie keeps does not matter.
 *   - `replaces`: the whole row but its tombstone (a later lifetime of the replica's share;
 *     its other fields are that lifetime's; see ACROSS_LIFETIMES).
 *   - `follows-newest`: the side holding the row's greatest stamp (insert, delete, any register);
 *     on a tie the greater zone, so the result does not depend on arrival order.
 */
export type StateMergeRule = "replaces" | "max" | "newer" | "follows-newest";

export const STATE_ROW_MERGE = {
  lifetime: "replaces",
  component: "max",
  register: "newer",
  insert: "max",
  delete: "newer",
  zone: "follows-newest",
} as const satisfies Record<string, StateMergeRule>;

export type StateRowField = keyof typeof STATE_ROW_MERGE;

/**
 * Fields a later lifetime does not replace: they merge by their rule whatever the births. The
 * tombstone, because a region that collected a key forgets its own earlier delete: its next
 * share of the key, born later, must not erase that delete where peers still hold the earlier
 * shares it kills (docs/data-model.md, "Lifetimes"). Still a semilattice: the product of the
 * lexicographic join of the other fields and the tombstone's own join.
 */
export const ACROSS_LIFETIMES: ReadonlySet<StateRowField> = new Set(["delete"]);

/** Greater by the rule's deciding number; NULL (never written) is below everything. */
export function takesIncoming(incoming: bigint | null, current: bigint | null): boolean {
  return incoming !== null && (current === null || incoming > current);
}

/** The greatest stamp a state row holds (-1 when none): what `follows-newest` decides by. */
export function topStamp(row: StateRow): bigint {
  let top = -1n;
  for (const s of [row.ins, row.del]) if (s !== null && s > top) top = s;
  for (const r of row.registers.values()) if (r.t > top) top = r.t;
  return top;
}

/** Zones compare with none below any zone. */
function zoneAbove(incoming: string | null, current: string | null): boolean {
  return incoming !== null && (current === null || incoming > current);
}

/**
 * What a rule takes from the incoming side of one field: its pair (`newer`: the deciding stamp
 * and what goes with it), its number alone (`max`), or nothing. The SQL upsert makes the same
 * three choices per rule (greatest() for `max`, a CASE over every carried column for `newer`).
 */
export type Taken = "pair" | "number" | "nothing";

export function decide(
  rule: Exclude<StateMergeRule, "follows-newest" | "replaces">,
  incoming: bigint | null,
  current: bigint | null,
): Taken {
  if (!takesIncoming(incoming, current)) return "nothing";
  return rule === "newer" ? "pair" : "number";
}

/**
 * Folds `next` into `into` (same key and replica), in place: the merger folds a batch's slices
 * of one key before a single set-based upsert. Commutative, associative and idempotent.
 */
export function mergeStateRow(into: StateRow, next: StateRow): void {
  if (next.born !== into.born) {
    if (takesIncoming(next.born, into.born)) replaceLifetime(into, next);
    mergeDelete(into, next);
    return;
  }
  const nextTop = topStamp(next);
  const intoTop = topStamp(into);
  if (nextTop > intoTop || (nextTop === intoTop && zoneAbove(next.zone, into.zone)))
    into.zone = next.zone;
  for (const [c, v] of next.counters)
    if (decide(STATE_ROW_MERGE.component, v, into.counters.get(c) ?? 0n) !== "nothing")
      into.counters.set(c, v);
  for (const [c, r] of next.registers) {
    const cur = into.registers.get(c);
    const taken = decide(STATE_ROW_MERGE.register, r.t, cur?.t ?? null);
    if (taken === "pair") into.registers.set(c, r);
    else if (taken === "number") into.registers.set(c, { v: cur?.v ?? null, t: r.t });
  }
  if (decide(STATE_ROW_MERGE.insert, next.ins, into.ins) !== "nothing") into.ins = next.ins;
  mergeDelete(into, next);
}

function mergeDelete(into: StateRow, next: StateRow): void {
  const del = decide(STATE_ROW_MERGE.delete, next.del, into.del);
  if (del !== "nothing") into.del = next.del;
  if (del === "pair") into.delBase = next.delBase;
}

/** A later lifetime takes every field but the tombstone (see ACROSS_LIFETIMES). */
function replaceLifetime(into: StateRow, next: StateRow): void {
  into.born = next.born;
  into.zone = next.zone;
  into.counters.clear();
  for (const [c, v] of next.counters) into.counters.set(c, v);
  into.registers.clear();
  for (const [c, r] of next.registers) into.registers.set(c, r);
  into.ins = next.ins;
}

/**
 * Which state rows of one key count toward what the key shows (docs/data-model.md,
 * "Lifetimes"). A share is killed when a delete at or above its birth exists and a later
 * lifetime began: everything of the earlier lifetime is then dead for good, whether this region
 * still holds it or has collected it. Before any later lifetime begins, nothing is killed, and a
 * tombstone's base is subtracted as it always was (`baseApplies`). Shares that predate
 * lifetimes are all born 0, so for them this is the rule as it was.
 */
export interface Lifetimes {
  /** The greatest delete stamp of the key (null: none). */
  readonly lastDelete: bigint | null;
  /** The greatest birth of the key's shares. */
  readonly lastBorn: bigint;
}

export function lifetimesOf(rows: readonly StateRow[]): Lifetimes {
  let lastDelete: bigint | null = null;
  let lastBorn = 0n;
  for (const r of rows) {
    if (r.del !== null && (lastDelete === null || r.del > lastDelete)) lastDelete = r.del;
    if (r.born > lastBorn) lastBorn = r.born;
  }
  return { lastDelete, lastBorn };
}

export const isKilled = (born: bigint, l: Lifetimes): boolean =>
  l.lastDelete !== null && born <= l.lastDelete && born < l.lastBorn;

/**
 * The key's winning tombstone's base (what its delete observed) is subtracted from a share born
 * at or before that delete: a share born after it is a lifetime the delete never saw (it counts
 * from zero), and once a later lifetime began, the earlier shares are killed anyway.
 */
export const baseApplies = (born: bigint, l: Lifetimes): boolean =>
  l.lastDelete !== null && born <= l.lastDelete;
