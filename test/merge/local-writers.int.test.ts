import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RowsEnvelope } from "@georep/contract";
import { createMergeTransaction } from "@georep/merger";
import { readStateSlices } from "@georep/merger/testing";
import { silentLogger } from "@georep/observability";
import { sqlStateOf } from "@georep/schema";
import type { RegionDb } from "./helpers.ts";
import { itemsSpec, rows, setupRegionDb, testRegions } from "./helpers.ts";

// The merge transaction's locking against plain SQL on the SAME keys: local writers in region B
// increment the keys (several per transaction, in descending key order, so they can deadlock
// with the merger's ascending locks) while two merge connections apply region A's state, taken
// at several points of A's own concurrent history. Afterwards B's counters equal A's increments
// plus B's, exactly: no lost update, no double count, whichever side retried.
const KEYS = 12;
const spec = itemsSpec("contended");
const [regionA, regionB] = testRegions(2) as [string, string];
let a: RegionDb;
let b: RegionDb;

beforeAll(async () => {
  a = await setupRegionDb("us-east", "merge_lock", regionA, [regionA, regionB], [spec]);
  b = await setupRegionDb("eu-west", "merge_lock", regionB, [regionA, regionB], [spec]);
});
afterAll(async () => {
  await a.close();
  await b.close();
});

const ids = Array.from({ length: KEYS }, (_v, i) => i + 1);

/** `rounds` transactions of plain SQL, each adding 1 to three random keys in descending order; retried on deadlock. */
async function writer(url: string, rounds: number, counts: Map<number, number>): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  let deadlocks = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      const keys = [
        ...new Set(Array.from({ length: 3 }, () => 1 + Math.floor(Math.random() * KEYS))),
      ];
      keys.sort((x, y) => y - x);
      for (;;) {
        try {
          await c.query("BEGIN");
          for (const k of keys)
            await c.query(
              `INSERT INTO contended (id, hits, label) VALUES ($1, 1, 'w') ON CONFLICT (id) DO UPDATE SET hits = contended.hits + 1`,
              [k],
            );
          await c.query("COMMIT");
          for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
          break;
        } catch (error) {
          await c.query("ROLLBACK");
          if (sqlStateOf(error) !== "40P01") throw error;
          deadlocks++;
        }
      }
    }
  } finally {
    await c.end();
  }
  return deadlocks;
}

it("merges under concurrent local writers on the same keys with exact counters", async () => {
  const countsA = new Map<number, number>();
  const countsB = new Map<number, number>();
  await writer(a.db.url, 20, countsA); // the keys exist in A before B's writers start
  const mergeTransaction = createMergeTransaction({
    tables: [spec],
    logger: silentLogger(),
    maxAttempts: 50,
  });
  const mergers = await Promise.all(
    [0, 1].map(async () => {
      const c = new pg.Client({ connectionString: b.db.url });
      await c.connect();
      return c;
    }),
  );
  let retried = 0;
  let lockWait = 0;
  let sqlTime = 0;
  let aDone = false;
  const merge = async (c: pg.Client): Promise<void> => {
    for (let last = false; !last;) {
      last = aDone; // one more pass after A's writers stopped: the final, complete state
      const slices = await readStateSlices(a.client, spec, regionA);
      // Each connection merges a random half of the keys per transaction.
      const part = slices.filter(() => Math.random() < 0.5 || last);
      const result = await mergeTransaction.run(c, {
        envelopes: [rows(regionA, part) as RowsEnvelope],
        progress: [],
      });
      retried += result.attempts - 1;
      lockWait += result.lockWaitSeconds;
      sqlTime += result.sqlSeconds;
    }
  };
  const writersA = Promise.all([0, 1].map(() => writer(a.db.url, 40, countsA))).then((d) => {
    aDone = true;
    return d;
  });
  const [, deadlocksB] = await Promise.all([
    writersA,
    Promise.all([0, 1, 2, 3].map(() => writer(b.db.url, 40, countsB))),
    ...mergers.map(merge),
  ]);
  for (const c of mergers) await c.end();

  const { rows: got } = await b.client.query<{ id: string; hits: string }>(
    "SELECT id::text AS id, hits::text AS hits FROM contended c ORDER BY c.id",
  );
  const expected = ids
    .filter((k) => countsA.has(k) || countsB.has(k))
    .map((k) => ({ id: String(k), hits: String((countsA.get(k) ?? 0) + (countsB.get(k) ?? 0)) }));
  expect(got).toEqual(expected);
  // Region B's own state slice holds exactly B's increments.
  const { rows: own } = await b.client.query<{ total: string }>(
    `SELECT coalesce(sum(hits__p), 0)::text AS total FROM georep."state__public__contended" WHERE origin = $1`,
    [regionB],
  );
  expect(own[0]?.total).toBe(String([...countsB.values()].reduce((x, y) => x + y, 0)));
  // Merges waited on the local writers' row locks, and the split says so (lock wait within SQL time).
  expect(lockWait).toBeGreaterThan(0);
  expect(sqlTime).toBeGreaterThanOrEqual(lockWait);
  console.log(
    `local writers vs merger: ${deadlocksB.reduce((x, y) => x + y, 0)} local deadlock retries, ${retried} merge retries, ${lockWait.toFixed(3)} s of ${sqlTime.toFixed(3)} s merge SQL waiting for locks`,
  );
  // The project's testTimeout (180 s), not a tighter one: every deadlock costs deadlock_timeout
  // (1 s), and on a loaded machine there are more of them.
});
