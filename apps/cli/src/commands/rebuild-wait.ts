// `georep region rebuild` copies a peer's snapshot into the lost region's new database. Peers may
// have collected deletes on the strength of what the lost region last reported as applied, so
// the snapshot is taken only once the source has applied as much: the rebuilt region then holds
// every such delete (or the key is collected in the copy too) before it writes (docs/data-model.md,
// "A region that loses history").
import type pg from "pg";
import { UsageError } from "@georep/command-line";
import type { KafkaClient } from "@georep/kafka";
import { waitForApplied } from "@georep/schema";
import { readReportedProgress } from "@georep/shipper";
import type { ProgressBar } from "../output/progress.ts";

export interface RebuildWait {
  /** A client of the lost region's own Kafka cluster (its topic holds its last heartbeats). */
  readonly kafka: KafkaClient;
  readonly lost: string;
  readonly source: { readonly region: string; readonly pool: pg.Pool };
  readonly bar: ProgressBar;
  readonly pollMs?: number;
  /** How long the source may take to catch up (default 10 min) before the rebuild is refused. */
  readonly maxWaitMs?: number;
}

/**
 * Resolves once the source has applied what the lost region last reported, for every origin but
 * the source itself (it holds its own changes), at once when nothing was reported.
 * @throws UsageError (nothing changed yet) when the source is still short after maxWaitMs;
 * KafkaError when the lost region's topic cannot be read; the driver's error.
 */
export async function waitForSourceToCover(w: RebuildWait): Promise<void> {
  const reported = await readReportedProgress(w.kafka, w.lost);
  if (reported === "none") return;
  const floor = new Map([...reported].filter(([origin]) => origin !== w.source.region));
  const stage = `${w.source.region} applying what ${w.lost} reported`;
  const deadline = Date.now() + (w.maxWaitMs ?? 600_000);
  let short: readonly string[] = [];
  const outcome = await waitForApplied(w.source.pool, floor, {
    self: w.lost,
    pollMs: w.pollMs ?? 1_000,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    stopped: () => Date.now() > deadline,
    onShort: (origins) => {
      short = origins;
      w.bar.update(stage, floor.size - origins.length, floor.size, {
        source: w.source.region,
        table: `origins applied as far as ${w.lost} reported (short: ${origins.join(", ")})`,
      });
    },
  });
  if (outcome === "stopped")
    throw new UsageError(
      `${w.source.region} has not applied what ${w.lost} last reported of ${short.join(", ")} (peers may have collected deletes on it); rebuild from a peer that has caught up (--from), or once ${w.source.region} has`,
      "--from",
    );
}
