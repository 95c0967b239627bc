import { describe, expect, it } from "vitest";
import type { RowsEnvelope } from "@georep/contract";
import { createMetrics } from "@georep/observability";
import type { MergeResult } from "../src/merge-transaction.ts";
import { createGroupCommit } from "../src/group-commit.ts";
import type { GroupItem } from "../src/group-commit.ts";
import { createMergerMetrics } from "../src/metrics.ts";

const result: MergeResult = {
  stagedRows: 1,
  stateRowsChanged: 1,
  userRowsInserted: 0,
  userRowsUpdated: 0,
  userRowsDeleted: 0,
  conflicts: 0,
  lockWaitSeconds: 0,
  sqlSeconds: 0,
  attempts: 1,
};

/** A batch of `rows` row slices in one envelope (only `rows.length` matters to group commit). */
const item = (partition: number, rows: number): GroupItem => ({
  rows: [{ rows: Array.from({ length: rows }) } as unknown as RowsEnvelope],
  entry: {
    topic: "t",
    partition,
    origin: "a",
    offset: 0n,
    lsn: null,
    commitTime: null,
    after: null,
  },
});

describe("group commit", () => {
  it("caps a group by total rows; the rest wait, in order, for the next group", async () => {
    const groups: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const group = createGroupCommit(
      async (items) => {
        groups.push(items.map((i) => i.entry.partition));
        if (groups.length === 1) await gate; // the first transaction runs while the others queue
        return result;
      },
      { maxRows: 100 },
    );
    const done = [
      group.submit(item(0, 10)),
      group.submit(item(1, 60)),
      group.submit(item(2, 40)),
      group.submit(item(3, 1)),
      group.submit(item(4, 500)), // larger than the cap: goes alone
      group.submit(item(5, 5)),
    ];
    release();
    await Promise.all(done);
    expect(groups).toEqual([[0], [1, 2], [3], [4], [5]]);
  });

  it("counts a group's result once, on its first batch", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const group = createGroupCommit(async () => {
      if (++calls === 1) await gate;
      return result;
    });
    const first = group.submit(item(0, 1));
    const [a, b] = [group.submit(item(1, 1)), group.submit(item(2, 1))];
    release();
    expect((await first)?.stagedRows).toBe(1);
    expect((await a)?.stagedRows).toBe(1);
    expect((await b)?.stagedRows).toBe(0); // same transaction as a: counted once
    expect(calls).toBe(2);
  });
});

describe("end-to-end lag histogram", () => {
  it("observes per origin with fine buckets", async () => {
    const metrics = createMetrics();
    const m = createMergerMetrics(metrics);
    m.observeEndToEndLag("eu-west", 0.012);
    m.observeEndToEndLag("eu-west", 0.012);
    m.observeEndToEndLag("us-east", 3);
    const text = await metrics.render();
    expect(text).toContain('georep_end_to_end_lag_seconds_bucket{le="0.01",origin="eu-west"} 0');
    expect(text).toContain('georep_end_to_end_lag_seconds_bucket{le="0.02",origin="eu-west"} 2');
    expect(text).toContain('georep_end_to_end_lag_seconds_bucket{le="2",origin="us-east"} 0');
    expect(text).toContain('georep_end_to_end_lag_seconds_bucket{le="5",origin="us-east"} 1');
    expect(text).toContain('georep_end_to_end_lag_seconds_count{origin="eu-west"} 2');
  });
});
