// Anti-entropy repair of one target region from its peers (docs/repair.md):
//
//   per table, per source: digest both sides by key range ──▶ ranges that differ
//     ──▶ page through the source's state rows of those ranges (every origin, every incarnation)
//     ──▶ merge each page into the target with the merger's own merge function (idempotent)
//
// Merging is a join: the target ends with at least what each source held, and re-running is
// harmless. A run interrupted anywhere resumes by running again: ranges already repaired
// compare equal and are skipped.
import type pg from "pg";
import type { RowsEnvelope } from "@georep/contract";
import { ENVELOPE_VERSION } from "@georep/contract";
import { regionOfReplica } from "@georep/crdt";
import { createMergeTransaction } from "@georep/merger";
import type { Logger, WallClock } from "@georep/observability";
import type { StateLayout } from "@georep/schema";
import { differingBuckets, stateDigests } from "./digest.ts";
import { RepairError } from "./errors.ts";
import { readSlices } from "./read-slices.ts";
import type { PageCursor, ReplicaSlice } from "./read-slices.ts";
import type { RepairScope } from "./scope.ts";

export interface RepairPeer {
  readonly region: string;
  readonly pool: pg.Pool;
  /**
   * Read the peer at one moment: an id from `pg_export_snapshot()`, in a transaction the caller
   * holds open for the whole repair (a snapshot copy for `georep region add`). Unset: each page
   * reads the peer as it is then, which a join does not need to be consistent.
   */
  readonly snapshot?: string;
}

export interface RepairTarget extends RepairPeer {
  readonly zone: string | undefined;
  /** The target's current replica: never copied in (only its own trigger writes it). */
  readonly replica: string;
}

export interface RepairProgress {
  readonly table: string;
  readonly source: string;
  /** Rows in the ranges being repaired from this source (the bar's total). */
  readonly total: number;
  readonly merged: number;
}

export interface TableRepair {
  readonly table: string;
  readonly source: string;
  readonly ranges: number;
  readonly differingRanges: number;
  /** State rows read from the source and merged (idempotently) into the target. */
  readonly rowsMerged: number;
  /** Of those, state rows the target did not hold as they were (it gained something). */
  readonly stateRowsChanged: number;
}

export interface RepairReport {
  readonly target: string;
  readonly tables: readonly TableRepair[];
  readonly rowsMerged: number;
  readonly stateRowsChanged: number;
}

export interface RepairOptions {
  readonly target: RepairTarget;
  readonly sources: readonly RepairPeer[];
  readonly layouts: readonly StateLayout[];
  readonly logger: Logger;
  readonly clock: WallClock;
  /** Key-hash ranges compared (default 256). */
  readonly buckets?: number;
  /** State rows read and merged per page (default 1,000): the memory bound. */
  readonly pageRows?: number;
  readonly onProgress?: (progress: RepairProgress) => void;
  /** Stops between pages; what was merged stays merged (a later run resumes). */
  readonly signal?: AbortSignal;
}

/**
 * Brings into `target` every piece of CRDT state its `sources` hold that it lacks, table by
 * table and source by source. Safe to run at any time and concurrently with replication.
 * @throws RepairError naming the table and regions, with the PostgreSQL error as its cause.
 */
export async function repairRegion(o: RepairOptions): Promise<RepairReport> {
  const buckets = o.buckets ?? 256;
  const pageRows = o.pageRows ?? 1000;
  const scope: RepairScope = { zone: o.target.zone, excludeReplica: o.target.replica, buckets };
  const mergeTransaction = createMergeTransaction({
    tables: o.layouts.map((l) => l.spec),
    logger: o.logger,
  });
  const tables: TableRepair[] = [];
  const client = await o.target.pool.connect();
  try {
    for (const layout of o.layouts) {
      const table = `${layout.spec.schema}.${layout.spec.name}`;
      for (const source of o.sources) {
        const context = { table, source: source.region, target: o.target.region };
        try {
          const [theirs, ours] = await Promise.all([
            stateDigests(source.pool, layout, scope, source.snapshot),
            stateDigests(o.target.pool, layout, scope),
          ]);
          const differing = differingBuckets(theirs, ours);
          const total = differing.reduce((n, b) => n + (theirs.get(b)?.rows ?? 0), 0);
          let merged = 0;
          let changed = 0;
          o.onProgress?.({ table, source: source.region, total, merged });
          let after: PageCursor | undefined;
          while (differing.length > 0) {
            o.signal?.throwIfAborted();
            const page = await readSlices(
              source.pool,
              layout,
              scope,
              differing,
              after,
              pageRows,
              source.snapshot,
            );
            if (page.slices.length > 0) {
              const result = await mergeTransaction.run(client, {
                envelopes: envelopesOf(page.slices, o.clock()),
                progress: [],
              });
              merged += page.slices.length;
              changed += result.stateRowsChanged;
              o.onProgress?.({ table, source: source.region, total, merged });
            }
            if (page.cursor === undefined) break;
            after = page.cursor;
          }
          tables.push({
            table,
            source: source.region,
            ranges: theirs.size,
            differingRanges: differing.length,
            rowsMerged: merged,
            stateRowsChanged: changed,
          });
          o.logger.info(
            {
              ...context,
              differingRanges: differing.length,
              rowsMerged: merged,
              stateRowsChanged: changed,
            },
            "repaired table from peer",
          );
        } catch (error) {
          if (error instanceof RepairError || o.signal?.aborted === true) throw error;
          throw new RepairError(
            `repairing ${table} in region '${o.target.region}' from '${source.region}' failed: ${(error as Error).message}`,
            context,
            { cause: error },
          );
        }
      }
    }
  } finally {
    client.release();
  }
  return {
    target: o.target.region,
    tables,
    rowsMerged: tables.reduce((n, t) => n + t.rowsMerged, 0),
    stateRowsChanged: tables.reduce((n, t) => n + t.stateRowsChanged, 0),
  };
}

/** Slices grouped by replica into envelopes the merger's merge transaction takes, as if each replica's region had shipped them. */
function envelopesOf(slices: readonly ReplicaSlice[], now: number): RowsEnvelope[] {
  const byReplica = new Map<string, ReplicaSlice["slice"][]>();
  for (const { replica, slice } of slices) {
    const list = byReplica.get(replica);
    if (list === undefined) byReplica.set(replica, [slice]);
    else list.push(slice);
  }
  return [...byReplica].map(([replica, rows]) => ({
    kind: "rows",
    v: ENVELOPE_VERSION,
    origin: regionOfReplica(replica),
    replica,
    lsn: "0/0",
    commitTime: now,
    rows,
  }));
}
