import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Envelope, RowSlice } from "@georep/contract";
import { databasePropertyParameters, propertyConfig } from "@georep/crdt/testing";
import { createMergeTransaction } from "@georep/merger";
import { readStateSlices } from "@georep/merger/testing";
import { silentLogger } from "@georep/observability";
import type { RegionDb } from "./helpers.ts";
import { itemsSpec, rows, setupRegionDb, testRegions } from "./helpers.ts";
import { history, historyTable } from "./sql-history.ts";

// SPEC.md invariants 2-5 on the real merge SQL: random plain-SQL histories in three regions, state
// slices delivered to the other regions in random order, chunked, with duplicates and a partial
// exchange mid-history; afterwards every region's rows are identical and counters exact.
const CLUSTERS = ["us-east", "eu-west", "ap-south"];
const regionIds = testRegions(3);
const dbs: RegionDb[] = [];
let run = 0;

beforeAll(async () => {
  for (const [i, id] of regionIds.entries())
    dbs.push(
      await setupRegionDb(CLUSTERS[i] ?? "us-east", "merge_conv", id, regionIds, [
        itemsSpec("seed"),
      ]),
    );
});
afterAll(async () => {
  for (const d of dbs) await d.close();
});

it("random histories in three regions converge, with exact counters", async () => {
  const config = propertyConfig(process.env, 15);
  const { seed, numRuns } = config;
  console.log(
    `convergence property: seed ${seed}, ${numRuns} runs (replay with GEOREP_SEED=${seed})`,
  );
  await fc.assert(
    fc.asyncProperty(
      history,
      history,
      fc.infiniteStream(fc.nat()),
      async (first, second, randoms) => {
        const name = `items_${++run}`;
        const spec = itemsSpec(name);
        const { write, increments, deleted } = await historyTable(dbs, regionIds, spec);
        const mergeTransaction = createMergeTransaction({ tables: [spec], logger: silentLogger() });
        const rnd = randoms[Symbol.iterator]();
        const pick = (n: number): number => (rnd.next().value as number) % n;
        /** Every region's own slices to every other region, shuffled, chunked, some twice. */
        const exchange = async (fraction: number): Promise<void> => {
          const deliveries: Array<{ to: RegionDb; envelope: Envelope }> = [];
          for (const from of dbs) {
            const slices: RowSlice[] = await readStateSlices(from.client, spec, from.region);
            for (const to of dbs.filter((d) => d !== from)) {
              for (const s of slices)
                if (pick(100) < fraction) deliveries.push({ to, envelope: rows(from.region, [s]) });
            }
          }
          for (let i = deliveries.length - 1; i > 0; i--) {
            const j = pick(i + 1);
            [deliveries[i], deliveries[j]] = [deliveries[j] as never, deliveries[i] as never];
          }
          const dup = deliveries.filter(() => pick(4) === 0);
          for (const d of [...deliveries, ...dup])
            await mergeTransaction.run(d.to.client, {
              envelopes: [d.envelope as never],
              progress: [],
            });
        };
        await write(first);
        await exchange(50);
        await write(second);
        await exchange(100);
        const tables = await Promise.all(
          dbs.map(
            async (d) =>
              (
                await d.client.query<{ id: number; hits: number }>(
                  `SELECT id::int, hits::int, balance::int, label, home FROM ${name} ORDER BY id`,
                )
              ).rows,
          ),
        );
        expect(tables[1]).toEqual(tables[0]);
        expect(tables[2]).toEqual(tables[0]);
        for (const row of tables[0] ?? []) {
          const id = (row as { id: number }).id;
          if (!deleted.has(id))
            expect((row as { hits: number }).hits, `hits of key ${id}`).toBe(
              increments.get(id) ?? 0,
            );
        }
      },
    ),
    databasePropertyParameters(config),
  );
});
