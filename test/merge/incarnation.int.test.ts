import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { regionIdPattern } from "@georep/contract";
import type { Envelope } from "@georep/contract";
import { incarnationOfReplica, regionOfReplica, replicaId } from "@georep/crdt";
import { databasePropertyParameters, propertyConfig } from "@georep/crdt/testing";
import { createMergeTransaction } from "@georep/merger";
import { readStateSlices } from "@georep/merger/testing";
import { silentLogger, systemClock } from "@georep/observability";
import { repairRegion } from "@georep/repair";
import {
  currentIncarnation,
  regionOfOriginSql,
  stateLayout,
  startIncarnation,
} from "@georep/schema";
import type { TableSpec } from "@georep/schema";
import type { RegionDb } from "./helpers.ts";
import { itemsSpec, setupRegionDb, testRegions } from "./helpers.ts";
import { history, historyTable } from "./sql-history.ts";

// SPEC.md invariant 10 on the real SQL: region 0 loses the history it wrote after a snapshot (as a
// restore or a promoted asynchronous standby would) after that history reached its peers; it
// starts a new incarnation, writes on, is repaired from its peers, and every region ends
// identical with counters equal to every increment ever committed. Without the new incarnation
// region 0's later increments are swallowed by its peers' max-merge (set GEOREP_NO_INCARNATION=1
// to see this test fail that way).
const CLUSTERS = ["us-east", "eu-west", "ap-south"];
const regionIds = testRegions(3);
const dbs: RegionDb[] = [];
let run = 0;

beforeAll(async () => {
  for (const [i, id] of regionIds.entries())
    dbs.push(
      await setupRegionDb(CLUSTERS[i] ?? "us-east", "merge_inc", id, regionIds, [
        itemsSpec("seed"),
      ]),
    );
});
afterAll(async () => {
  for (const d of dbs) await d.close();
});

/** What a region ships: the state of each of its replicas, under that replica. */
async function shipped(from: RegionDb, spec: TableSpec): Promise<Envelope[]> {
  const layout = stateLayout(spec);
  const { rows } = await from.client.query<{ origin: string }>(
    `SELECT DISTINCT origin FROM ${layout.stateTable}`,
  );
  const out: Envelope[] = [];
  for (const { origin } of rows) {
    if (regionOfReplica(origin) !== from.region) continue;
    for (const s of await readStateSlices(from.client, spec, origin))
      out.push({
        v: 1,
        kind: "rows",
        origin: from.region,
        replica: origin,
        lsn: "0/1",
        commitTime: Date.now(),
        rows: [s],
      });
  }
  return out;
}

/** Copies (or restores) the user and state rows of a table: the region's history at a point. */
async function snapshot(db: RegionDb, spec: TableSpec, restore: boolean): Promise<void> {
  const layout = stateLayout(spec);
  const snap = (t: string): string => `snap__${t.replace(/[^a-z0-9_]/g, "_")}`;
  const pairs = [
    [layout.userTable, snap(spec.name)],
    [layout.stateTable, snap(layout.stateTableName)],
  ] as const;
  await db.client.query("BEGIN");
  // The merger's marker: a restore is not a local write (and TRUNCATE is refused on purpose).
  await db.client.query("SET LOCAL georep.applying = 'on'");
  for (const [table, copy] of pairs) {
    if (restore)
      await db.client.query(`DELETE FROM ${table}; INSERT INTO ${table} SELECT * FROM ${copy}`);
    else await db.client.query(`CREATE TABLE ${copy} AS SELECT * FROM ${table}`);
  }
  await db.client.query("COMMIT");
}

it("a region that lost history starts a new incarnation and nothing is lost (real SQL merge)", async () => {
  const config = propertyConfig(process.env, 8);
  const { seed, numRuns } = config;
  console.log(
    `incarnation property: seed ${seed}, ${numRuns} runs (replay with GEOREP_SEED=${seed})`,
  );
  await fc.assert(
    fc.asyncProperty(
      history,
      history,
      history,
      fc.infiniteStream(fc.nat()),
      async (a, b, c, randoms) => {
        const name = `items_${++run}`;
        const spec = itemsSpec(name);
        const { write, increments, deleted } = await historyTable(dbs, regionIds, spec);
        const mergeTransaction = createMergeTransaction({ tables: [spec], logger: silentLogger() });
        const rnd = randoms[Symbol.iterator]();
        const pick = (n: number): number => (rnd.next().value as number) % n;
        const exchange = async (fraction: number): Promise<void> => {
          for (const from of dbs)
            for (const envelope of await shipped(from, spec))
              for (const to of dbs.filter((d) => d !== from))
                if (pick(100) < fraction)
                  await mergeTransaction.run(to.client, {
                    envelopes: [envelope as never],
                    progress: [],
                  });
        };
        const lost = dbs[0] as RegionDb;
        await write(a);
        await exchange(50);
        await snapshot(lost, spec, false);
        await write(b);
        // Everything region 0 wrote after the snapshot reached its peers before the disaster.
        await exchange(100);
        await snapshot(lost, spec, true);
        if (process.env["GEOREP_NO_INCARNATION"] !== "1") {
          const client = new pg.Client({ connectionString: lost.db.url });
          await client.connect();
          try {
            const before = await currentIncarnation(client);
            const started = await startIncarnation(
              client,
              { region: lost.region, tables: [spec] },
              "test: restored",
              systemClock(),
            );
            expect(started.incarnation).toBeGreaterThan(before?.incarnation ?? 1);
          } finally {
            await client.end();
          }
        }
        await write(c);
        await exchange(40);
        const peers = dbs.slice(1).map((d) => ({
          region: d.region,
          pool: new pg.Pool({ connectionString: d.db.url, max: 2 }),
        }));
        const target = new pg.Pool({ connectionString: lost.db.url, max: 2 });
        try {
          const replica = (await currentIncarnation(target))?.replica ?? lost.region;
          await repairRegion({
            target: { region: lost.region, pool: target, zone: undefined, replica },
            sources: peers,
            layouts: [stateLayout(spec)],
            logger: silentLogger(),
            clock: systemClock,
            buckets: 1 + pick(16),
            pageRows: 1 + pick(7),
          });
        } finally {
          for (const p of [...peers.map((x) => x.pool), target]) await p.end();
        }
        await exchange(100);
        const tables = await Promise.all(
          dbs.map(
            async (d) =>
              (
                await d.client.query(
                  `SELECT id::int, hits::int, balance::int, label, home FROM ${name} ORDER BY id`,
                )
              ).rows as Array<{ id: number; hits: number }>,
          ),
        );
        expect(tables[1]).toEqual(tables[0]);
        expect(tables[2]).toEqual(tables[0]);
        for (const row of tables[0] ?? [])
          if (!deleted.has(row.id))
            expect(row.hits, `hits of key ${row.id}`).toBe(increments.get(row.id) ?? 0);
      },
    ),
    databasePropertyParameters(config),
  );
});

it("reads a replica's region and incarnation in SQL as the CRDT core does", async () => {
  const db = dbs[0] as RegionDb;
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.tuple(
          fc.stringMatching(regionIdPattern),
          fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        ),
        { minLength: 1, maxLength: 20 },
      ),
      async (pairs) => {
        const ids = pairs.map(([region, n]) => replicaId(region, n));
        const { rows } = await db.client.query<{ region: string; n: string }>(
          `SELECT ${regionOfOriginSql} AS region, coalesce(nullif(split_part(origin, '.', 2), ''), '1') AS n
           FROM unnest($1::text[]) WITH ORDINALITY AS t(origin, i) ORDER BY i`,
          [ids],
        );
        expect(rows.map((r) => r.region)).toEqual(ids.map(regionOfReplica));
        expect(rows.map((r) => Number(r.n))).toEqual(ids.map((id) => incarnationOfReplica(id)));
      },
    ),
    databasePropertyParameters(propertyConfig(process.env, 20)),
  );
});
