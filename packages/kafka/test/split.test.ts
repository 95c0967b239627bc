import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ProducerRecord } from "../src/producer-record.ts";
import { splitByPartitionBytes } from "../src/split.ts";

const rec = (partition: number, size: number, topic = "t"): ProducerRecord => ({
  topic,
  partition,
  key: null,
  value: Buffer.alloc(size),
});

describe("splitByPartitionBytes", () => {
  it("keeps each partition of a request under the broker's batch limit, in order", () => {
    const records = [rec(0, 600), rec(1, 600), rec(0, 600), rec(0, 100)];
    const chunks = splitByPartitionBytes(records, 1000);
    expect(chunks.map((c) => c.map((r) => r.partition))).toEqual([
      [0, 1],
      [0, 0],
    ]);
    expect(chunks.flat()).toEqual(records);
  });
  it("needs as many requests as the largest partition, not one per record", () => {
    // A cut routes partition by partition: every envelope of partition 0, then of 1, ...
    const records = [0, 1, 2].flatMap((p) => [rec(p, 600), rec(p, 600), rec(p, 600)]);
    const chunks = splitByPartitionBytes(records, 1000);
    expect(chunks).toHaveLength(3);
    for (const chunk of chunks) expect(chunk.map((r) => r.partition)).toEqual([0, 1, 2]);
  });
  it("keeps every record once, each partition in order and under the limit", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("a", "b"), fc.nat(3), fc.integer({ min: 1, max: 900 })), {
          maxLength: 60,
        }),
        (specs) => {
          const records = specs.map(([topic, p, size]) => rec(p, size, topic));
          const chunks = splitByPartitionBytes(records, 1000);
          expect(chunks.flat()).toHaveLength(records.length);
          const id = (r: ProducerRecord): string => `${r.topic}/${r.partition}`;
          for (const key of new Set(records.map(id)))
            expect(chunks.flat().filter((r) => id(r) === key)).toEqual(
              records.filter((r) => id(r) === key),
            );
          for (const chunk of chunks) {
            expect(chunk.length).toBeGreaterThan(0);
            const bytes = new Map<string, number[]>();
            for (const r of chunk) bytes.set(id(r), [...(bytes.get(id(r)) ?? []), r.value.length]);
            // A partition's share of a request stays under the limit (a lone record may exceed it).
            for (const sizes of bytes.values())
              if (sizes.length > 1)
                expect(sizes.reduce((a, b) => a + b + 64, 0)).toBeLessThanOrEqual(1000);
          }
        },
      ),
    );
  });
});
