// The merger side of the apply benchmark: the workload's coalesced envelopes produced to Kafka
// first, then a merger started in this process and timed from its first applied batch until it
// has them all.
import type { KeyObject } from "node:crypto";
import { createEnvelopeSigner, createEnvelopeVerifier } from "@georep/contract";
import { createMerger } from "@georep/merger";
import { createMetrics, silentLogger, systemClock } from "@georep/observability";
import { readEndpoints, waitFor } from "@georep/testkit";
import type { Workload } from "./apply-workload.ts";
import { withApplyTarget } from "./apply-target.ts";

// backlog-run.ts reads the progress table with it from here.
export { appliedMessages } from "./apply-target.ts";

export interface MergerRate {
  readonly changesPerSecond: number;
  readonly rowsPerSecond: number;
  readonly envelopes: number;
  readonly rows: number;
  /**
   * The whole run, start included (the timed interval above can be short when the first batch
   * takes most of the backlog): changes/s, and this process's CPU (merger, polling) per change.
   */
  readonly wholeRunChangesPerSecond: number;
  readonly cpuMicrosPerChange: number;
}

/** With it, the origin signs every envelope and the merger verifies each (signing bench). */
export interface ApplySigning {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export const mergerApplyRate = (w: Workload, signing?: ApplySigning): Promise<MergerRate> =>
  withApplyTarget(w, async (t) => {
    await t.produce(
      t.envelopes,
      signing === undefined ? undefined : createEnvelopeSigner(signing.privateKey),
    );
    const merger = createMerger({
      region: t.region,
      pgUrl: t.pgUrl,
      kafka: { brokers: readEndpoints().kafka.brokers },
      tables: [t.spec],
      regions: t.regions,
      logger: silentLogger(),
      metrics: createMetrics(),
      clock: systemClock,
      // The origin topic exists; a dead-letter topic would be left behind in Kafka after the run.
      options: { ensureTopics: false },
      verifier:
        signing === undefined
          ? undefined
          : createEnvelopeVerifier({ keys: new Map([[t.origin, [signing.publicKey]]]) }),
    });
    const runStarted = performance.now();
    const runCpu = process.cpuUsage();
    await merger.start();
    let seconds: number;
    let wholeSeconds: number;
    let cpu: NodeJS.CpuUsage;
    let atFirst: number;
    try {
      atFirst = Number(
        await waitFor(async () => (await t.applied()) || false, {
          description: "the first merged batch",
          timeoutMs: 60_000,
          intervalMs: 2,
        }),
      );
      const started = performance.now();
      await waitFor(async () => (await t.applied()) === t.envelopes.length, {
        description: "every envelope merged",
        timeoutMs: 600_000,
        intervalMs: 5,
      });
      seconds = (performance.now() - started) / 1000;
      wholeSeconds = (performance.now() - runStarted) / 1000;
      cpu = process.cpuUsage(runCpu);
    } finally {
      await merger.stop();
    }
    const left = 1 - atFirst / t.envelopes.length; // the first batch is not in the timed interval
    const rows = t.envelopes.reduce(
      (n, e) => n + (e.envelope.kind === "rows" ? e.envelope.rows.length : 0),
      0,
    );
    await t.checkTotal();
    return {
      changesPerSecond: (w.changes * left) / seconds,
      rowsPerSecond: (rows * left) / seconds,
      wholeRunChangesPerSecond: w.changes / wholeSeconds,
      cpuMicrosPerChange: (cpu.user + cpu.system) / w.changes,
      envelopes: t.envelopes.length,
      rows,
    };
  });
