import type { Pool } from "pg";
import { createCameraCounter } from "@georep/crdt";
import type { CameraCounter } from "@georep/crdt";
import type { CountReport } from "./camera-writer.ts";
import { applyUpload, counterName, ensureUploadMarks } from "./uploads.ts";
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

/**
 * Drives `reports` count reports into one region, each as a camera would send it: counted into
 * the camera's cumulative counters and uploaded whole (retry-safe), and records the ground truth.
 */
export async function runFleet(
  options: FleetOptions,
  reports: number,
  truth = new GroundTruth(),
): Promise<GroundTruth> {
  await ensureUploadMarks(options.pool);
  const cameras = new Map<string, CameraCounter>();
  const cameraOf = (id: string): CameraCounter => {
    let camera = cameras.get(id);
    if (camera === undefined) {
      camera = createCameraCounter(id, options.region);
      cameras.set(id, camera);
    }
    return camera;
  };
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
      const camera = cameraOf(report.cameraId);
      for (const [metric, n] of [
        ["people_in", report.peopleIn],
        ["people_out", report.peopleOut],
        ["vehicle_in", report.vehicleIn],
        ["vehicle_out", report.vehicleOut],
      ] as const)
        if (n > 0) camera.record(counterName(metric, report.bucket), n);
      await applyUpload(options.pool, camera.uploadPayload(), {
        region: options.region,
        homeRegion: report.homeRegion,
        modelVersion: report.modelVersion,
      });
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
