// Region membership: georep.regions in each region's database. The installer seeds it from the
// config; `georep region add` and `georep region remove` change it in every region's database,
// and running replicators follow it (docs/operate.md, "Region lifecycle"). A removed region keeps
// its row (removed_at set): its components stay in every state row, and its id is never reused.
import type pg from "pg";

type Queryable = pg.Pool | pg.ClientBase;

export interface Member {
  readonly id: string;
  readonly zone?: string | undefined;
}

export interface RegionRow extends Member {
  /** Set by `georep region remove`; a removed region is no longer replicated from or waited for. */
  readonly removedAt: Date | null;
}

/** Every region this database knows of, removed ones included, by id. */
export async function readRegionRows(q: Queryable): Promise<RegionRow[]> {
  const { rows } = await q.query<{ id: string; zone: string | null; removed_at: Date | null }>(
    "SELECT id, zone, removed_at FROM georep.regions ORDER BY id",
  );
  return rows.map((r) => ({ id: r.id, zone: r.zone ?? undefined, removedAt: r.removed_at }));
}

/** The live members: the regions replicated from and to. */
export async function readMembers(q: Queryable): Promise<Member[]> {
  return (await readRegionRows(q))
    .filter((r) => r.removedAt === null)
    .map(({ id, zone }) => ({ id, zone }));
}

/** Adds a live member; a row that exists is left as it is (a removed id stays removed). */
export async function addMember(q: Queryable, member: Member): Promise<void> {
  await q.query(
    "INSERT INTO georep.regions (id, zone) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
    [member.id, member.zone ?? null],
  );
}

/**
 * Marks a member removed (idempotent: the first removal's time is kept) and drops any collection
 * hold for it: collection no longer waits for it.
 */
export async function removeMember(q: Queryable, id: string): Promise<void> {
  await q.query(
    `WITH released AS (DELETE FROM georep.collection_holds WHERE region = $1)
     UPDATE georep.regions SET removed_at = coalesce(removed_at, clock_timestamp()) WHERE id = $1`,
    [id],
  );
}

/**
 * Adds a member that `georep region add` held collection for and releases the hold, in one
 * transaction: a hold left behind a member would stop collection for good.
 */
export async function admitMember(pool: pg.Pool, member: Member): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await addMember(client, member);
    await releaseCollection(client, member.id);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined); // the original error is the one to report
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Holds tombstone collection in this region for `region`, which is not a member yet (`georep
 * region add` copies a snapshot to it): until released, collection waits for it as for a member
 * it has not heard from. Idempotent.
 */
export async function holdCollection(q: Queryable, region: string, reason: string): Promise<void> {
  await q.query(
    "INSERT INTO georep.collection_holds (region, reason) VALUES ($1, $2) ON CONFLICT (region) DO NOTHING",
    [region, reason],
  );
}

/** Whether holdCollection holds collection here for `region`. */
export async function collectionHeld(q: Queryable, region: string): Promise<boolean> {
  const { rows } = await q.query("SELECT 1 FROM georep.collection_holds WHERE region = $1", [
    region,
  ]);
  return rows.length > 0;
}

/** Releases holdCollection's hold (the region is a member now, or no longer coming). */
export async function releaseCollection(q: Queryable, region: string): Promise<void> {
  await q.query("DELETE FROM georep.collection_holds WHERE region = $1", [region]);
}

/** Whether two member lists name the same regions in the same zones. */
export function sameMembers(a: readonly Member[], b: readonly Member[]): boolean {
  const key = (m: readonly Member[]) => JSON.stringify(m.map((x) => [x.id, x.zone ?? null]).sort());
  return key(a) === key(b);
}
