// What a region has applied of every other origin (georep.applied, computed by its merger; its
// heartbeats report it) compared with a floor: what the region reported before its database went
// back in time, which peers may have collected tombstones on (docs/data-model.md, "A region that
// loses history").
import type pg from "pg";

type Queryable = pg.Pool | pg.ClientBase;

/** This region's applied progress per other origin, as its merger last computed it. */
export async function readApplied(db: Queryable): Promise<Map<string, bigint>> {
  const { rows } = await db.query<{ origin: string; stamp: string }>(
    "SELECT origin, stamp::text AS stamp FROM georep.applied",
  );
  return new Map(rows.map((r) => [r.origin, BigInt(r.stamp)]));
}

/** The origins, but `self`, whose applied progress is below `floor` (or unknown), sorted. */
export function appliedShortOf(
  applied: ReadonlyMap<string, bigint>,
  floor: ReadonlyMap<string, bigint>,
  self: string,
): string[] {
  return [...floor]
    .filter(([origin, stamp]) => origin !== self && (applied.get(origin) ?? -1n) < stamp)
    .map(([origin]) => origin)
    .sort();
}

export interface AppliedWait {
  readonly self: string;
  readonly pollMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Told the origins still short after every poll that finds some. */
  readonly onShort: (origins: readonly string[]) => void;
  /** Checked after every poll that finds some short: true ends the wait with `"stopped"`. */
  readonly stopped?: () => boolean;
}

/**
 * Polls `db`'s applied progress until it covers `floor` for every origin but `self`.
 * @throws the driver's error.
 */
export async function waitForApplied(
  db: Queryable,
  floor: ReadonlyMap<string, bigint>,
  w: AppliedWait,
): Promise<"covered" | "stopped"> {
  for (;;) {
    const short = appliedShortOf(await readApplied(db), floor, w.self);
    if (short.length === 0) return "covered";
    w.onShort(short);
    if (w.stopped?.() === true) return "stopped";
    await w.sleep(w.pollMs);
  }
}
