import type { Pool } from "pg";
import { writeReport } from "./camera-writer.ts";
import type { CountReport } from "./camera-writer.ts";
import { GroundTruth } from "./ground-truth.ts";

export interface FleetOptions {
  readonly region: string;
  readonly pool: Pool;
  /** Cameras reporting to this region. Camera ids are global: several regions may share one. */
  readonly cameraIds: readonly string[];
  readonly buckets: readonly string[];
  /** Concurrent writers. */
  readonly concurrency: number;
  /** Seeded generator, so a run can be replayed. */
  readonly random: () => number;
  /** Called after each report commits (for progress displays). */
  readonly onReport?: (report: CountReport) => void;
}

/** Drives `reports` plain-SQL count reports into one region and records the ground truth. */
export async function runFleet(
  options: FleetOptions,
  reports: number,
  truth = new GroundTruth(),
): Promise<GroundTruth> {
  let next = 0;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(options.random() * xs.length)] as T;
  const worker = async (): Promise<void> => {
    while (next < reports) {
      next += 1;
      const report: CountReport = {
        cameraId: pick(options.cameraIds),
        bucket: pick(options.buckets),
        peopleIn: 1 + Math.floor(options.random() * 5),
        peopleOut: Math.floor(options.random() * 4),
        vehicleIn: Math.floor(options.random() * 3),
        vehicleOut: Math.floor(options.random() * 2),
        homeRegion: options.region,
        modelVersion: `v${1 + Math.floor(options.random() * 3)}`,
      };
      await writeReport(options.pool, report);
      truth.record(report);
      options.onReport?.(report);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return truth;
}

/** mulberry32: a tiny seeded PRNG for reproducible fleets. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
