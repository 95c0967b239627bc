import { describe, expect, it } from "vitest";
import { createMetrics } from "@georep/observability";
import { consumerBacklog } from "../src/consumer-lag.ts";
import { partitionLags } from "../src/housekeeping.ts";
import { createMergerMetrics } from "../src/metrics.ts";
import type { AppliedPartition } from "../src/progress-store.ts";

const applied = (
  topic: string,
  partition: number,
  offset: bigint,
  commitTime: number | null,
): AppliedPartition => ({
  topic,
  partition,
  origin: topic.split(".")[1] ?? "",
  offset,
  commitTime,
});

describe("replication lag per partition and per origin", () => {
  const now = 1_000_000;
  it("reads one stuck partition as its origin's lag, not the freshest one", async () => {
    const metrics = createMetrics();
    createMergerMetrics(metrics).setLag(
      partitionLags(
        [
          applied("georep.eu-west", 0, 5n, now - 1_000),
          applied("georep.eu-west", 1, 9n, now - 120_000),
          applied("georep.ap-south", 0, 2n, now - 2_000),
        ],
        now,
      ),
    );
    const text = await metrics.render();
    expect(text).toContain('georep_replication_lag_seconds{origin="eu-west"} 120');
    expect(text).toContain('georep_replication_lag_seconds{origin="ap-south"} 2');
    expect(text).toContain(
      'georep_partition_lag_seconds{origin="eu-west",topic="georep.eu-west",partition="0"} 1',
    );
    expect(text).toContain(
      'georep_partition_lag_seconds{origin="eu-west",topic="georep.eu-west",partition="1"} 120',
    );
  });

  it("skips partitions that only saw dead letters, and never reads a negative lag", () => {
    expect(
      partitionLags(
        [applied("georep.eu-west", 0, 1n, null), applied("georep.eu-west", 1, 1n, now + 5_000)],
        now,
      ),
    ).toEqual([{ origin: "eu-west", topic: "georep.eu-west", partition: 1, seconds: 0 }]);
  });
});

describe("consumer lag in records", () => {
  const sources = [
    { topic: "georep.eu-west", origin: "eu-west", zone: undefined },
    { topic: "georep.ap-south", origin: "ap-south", zone: undefined },
  ];
  it("is the high watermark minus the next offset to apply, from 0 without a progress row", () => {
    const ends = new Map([
      [
        "georep.eu-west",
        new Map([
          [0, 10n],
          [1, 4n],
        ]),
      ],
    ]);
    expect(consumerBacklog(sources, ends, [applied("georep.eu-west", 0, 6n, 1)])).toEqual([
      { origin: "eu-west", topic: "georep.eu-west", partition: 0, records: 3 },
      { origin: "eu-west", topic: "georep.eu-west", partition: 1, records: 4 },
    ]);
  });

  it("reads 0, not a negative number, when progress is ahead of the offsets read before it", () => {
    const ends = new Map([["georep.ap-south", new Map([[0, 5n]])]]);
    expect(consumerBacklog(sources, ends, [applied("georep.ap-south", 0, 7n, 1)])).toEqual([
      { origin: "ap-south", topic: "georep.ap-south", partition: 0, records: 0 },
    ]);
  });
});

it("exports every dead-letter and quarantine reason before the first one happens", async () => {
  const metrics = createMetrics();
  createMergerMetrics(metrics);
  const text = await metrics.render();
  for (const reason of ["oversized", "malformed", "unknown-origin", "own-origin", "wrong-topic"])
    expect(text).toContain(`georep_dead_letters_total{reason="${reason}"} 0`);
  expect(text).toContain('georep_quarantined_rows_total{reason="clock-skew"} 0');
});
