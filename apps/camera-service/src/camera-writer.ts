import type { Pool, PoolClient } from "pg";

/**
 * Counts seen in a time bucket, added with one plain-SQL upsert: no knowledge of replication.
 * On its own this is not retry-safe (a retried report adds again); cameras upload through
 * `applyUpload` (uploads.ts), which adds only what was not added before.
 */
export interface CountReport {
  readonly cameraId: string;
  /** Bucket start, ISO-8601 UTC. */
  readonly bucket: string;
  readonly peopleIn: number;
  readonly peopleOut: number;
  readonly vehicleIn: number;
  readonly vehicleOut: number;
  readonly homeRegion: string;
  readonly modelVersion: string;
}

const UPSERT = `INSERT INTO counting_results
  (camera_id, bucket, people_in, people_out, vehicle_in, vehicle_out, model_version, status, home_region)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'ok', $8)
ON CONFLICT (camera_id, bucket) DO UPDATE SET
  people_in = counting_results.people_in + excluded.people_in,
  people_out = counting_results.people_out + excluded.people_out,
  vehicle_in = counting_results.vehicle_in + excluded.vehicle_in,
  vehicle_out = counting_results.vehicle_out + excluded.vehicle_out,
  model_version = excluded.model_version`;

/** Adds a report's counts (plain SQL; a retry adds them twice). */
export async function writeReport(db: Pool | PoolClient, r: CountReport): Promise<void> {
  await db.query(UPSERT, [
    r.cameraId,
    r.bucket,
    r.peopleIn,
    r.peopleOut,
    r.vehicleIn,
    r.vehicleOut,
    r.modelVersion,
    r.homeRegion,
  ]);
}
