// The two workloads of the apply benchmark, as changes in transactions, plus the shipper's
// coalescing model for the merger side.
import type { Envelope, RowSlice } from "@georep/contract";
import { partitionOf, rowKey } from "@georep/contract";

export interface Workload {
  readonly name: string;
  readonly keys: number;
  readonly changes: number;
  /** Key index of each change (one `people_in + 1` each), grouped in transactions. */
  readonly transactions: readonly (readonly number[])[];
  /** Slices per envelope (default 100); 1 makes the most envelopes, as the signing bench wants. */
  readonly perEnvelope?: number;
}

export const keyOf = (i: number): string => `cam-${i}`;
export const BUCKET = "2026-01-01 00:00:00+00";

export const TABLE_DDL = `CREATE TABLE bench_counts (camera_id text NOT NULL, bucket timestamptz NOT NULL,
  people_in bigint NOT NULL DEFAULT 0, people_out bigint NOT NULL DEFAULT 0, vehicle_in bigint NOT NULL DEFAULT 0, vehicle_out bigint NOT NULL DEFAULT 0,
  model_version text, status text, home_region text, PRIMARY KEY (camera_id, bucket))`;

function workload(
  name: string,
  changes: number,
  keys: number,
  perTx: number,
  seed: number,
): Workload {
  let x = seed;
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x;
  };
  const transactions: number[][] = [];
  for (let done = 0; done < changes; done += perTx) {
    transactions.push(Array.from({ length: Math.min(perTx, changes - done) }, () => next() % keys));
  }
  return { name, keys, changes, transactions };
}

export const uniformWorkload = (changes: number): Workload =>
  workload("uniform keys", changes, changes, 100, 7);
export const hotKeyWorkload = (changes: number): Workload =>
  workload("hot keys (camera counting)", changes, 10, 100, 11);

/** The slice of camera `k` whose own `people_in` component is `count` (cumulative). */
export function incrementSlice(k: number, count: number): RowSlice {
  return {
    table: "public.counting_results",
    key: { camera_id: keyOf(k), bucket: BUCKET },
    zone: null,
    counters: { people_in__p: String(count) },
    registers: {},
    ins: null,
    del: null,
    delBase: null,
  };
}

/** The partition the shipper would route `slice` to. */
export const slicePartition = (slice: RowSlice, partitions: number): number =>
  partitionOf(rowKey(slice.table, slice.key, ["camera_id", "bucket"]), partitions);

/**
 * What the origin's shipper sends for the workload: per flush window of `window` changes, one slice
 * per distinct key with the key's cumulative count (coalescing), packed per partition into
 * envelopes of up to `perEnvelope` slices.
 */
export function envelopesOf(
  w: Workload,
  origin: string,
  partitions: number,
  window = 1000,
  perEnvelope = 100,
): Array<{ partition: number; envelope: Envelope }> {
  const counts = new Map<number, number>();
  const out: Array<{ partition: number; envelope: Envelope }> = [];
  let pending = new Set<number>();
  const flush = (): void => {
    const byPartition = new Map<number, RowSlice[]>();
    for (const k of pending) {
      const slice = incrementSlice(k, counts.get(k) ?? 0);
      const p = slicePartition(slice, partitions);
      const list = byPartition.get(p) ?? [];
      list.push(slice);
      byPartition.set(p, list);
    }
    for (const [partition, slices] of byPartition) {
      for (let i = 0; i < slices.length; i += perEnvelope) {
        out.push({
          partition,
          envelope: {
            v: 1,
            kind: "rows",
            origin,
            lsn: "0/1",
            commitTime: Date.now(),
            rows: slices.slice(i, i + perEnvelope),
          },
        });
      }
    }
    pending = new Set();
  };
  let inWindow = 0;
  for (const tx of w.transactions) {
    for (const k of tx) {
      counts.set(k, (counts.get(k) ?? 0) + 1);
      pending.add(k);
    }
    inWindow += tx.length;
    if (inWindow >= window) {
      flush();
      inWindow = 0;
    }
  }
  flush();
  return out;
}
